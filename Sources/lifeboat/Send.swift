import ArgumentParser
import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers

struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send DICOM files to a node by C-STORE.",
        discussion: """
            Folders are searched recursively. Presentation contexts are proposed from the files'
            own SOP classes and transfer syntaxes, and each data set is sent exactly as it is
            in its file. Exits 1 if any file was not stored.

            Examples:
              lifeboat send localhost 11112 --aec LIFEBOAT study/
              lifeboat send pacs.example.org 104 --aec PACS --parallel 4 /data/outbox
            """
    )

    @Argument(help: "The node's host name or address.")
    var host: String

    @Argument(help: "The node's DICOM port.")
    var port: Int

    @Argument(help: "Files and folders to send.")
    var paths: [String]

    @OptionGroup var titles: AETitleOptions

    @Option(help: "How many associations to send over at once.")
    var parallel = 1

    @Option(help: "The largest P-DATA-TF PDU we accept, in bytes.")
    var maxPDU: UInt32 = 256 * 1024

    func run() async throws {
        let (calling, called) = try titles.titles()
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        let files = try FileList.collect(paths)
        guard !files.isEmpty else { throw CLIError("no files to send in \(paths.joined(separator: ", "))") }
        let configuration = RequestorAssociation.Configuration(host: host, port: port, callingAETitle: calling, calledAETitle: called, maximumLength: maxPDU)
        let sender = FileSender(configuration: configuration)
        let progress = Progress(total: files.count)
        let start = Date()
        let lanes = min(parallel, files.count)
        let outcomes = await withTaskGroup(of: [FileSender.Outcome].self) { group in
            for lane in 0..<lanes {
                let share = stride(from: lane, to: files.count, by: lanes).map { files[$0] }
                group.addTask { await sender.send(share, progress: { progress.advance(failed: !$0.succeeded) }) }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        progress.finish()
        let seconds = max(Date().timeIntervalSince(start), 0.001)
        let stored = outcomes.filter(\.succeeded)
        let megabytes = Double(stored.reduce(0) { $0 + $1.bytes }) / 1_048_576
        print(String(format: "Stored %d of %d files (%.1f MB) to %@@%@:%d in %.1f s: %.0f files/s, %.1f MB/s",
                     stored.count, outcomes.count, megabytes, called.value, host, port, seconds, Double(stored.count) / seconds, megabytes / seconds))
        for outcome in outcomes.sorted(by: { $0.path < $1.path }) {
            if let warning = outcome.warning { FileHandle.standardError.write(Data("lifeboat send: warning: \(outcome.path): \(warning)\n".utf8)) }
        }
        let failed = outcomes.filter { !$0.succeeded }
        if !failed.isEmpty {
            print("Not stored (\(failed.count)):")
            for outcome in failed.sorted(by: { $0.path < $1.path }) {
                let status = outcome.status.map { "status \($0)" } ?? "not sent"
                print("  \(outcome.path): \(status)\(outcome.problem.map { ": \($0)" } ?? "")")
            }
            throw ExitCode(1)
        }
    }
}
