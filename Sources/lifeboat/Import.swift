import Archive
import ArgumentParser
import Foundation
import Logging

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import folders of DICOM files into the archive.",
        discussion: """
            Each Part 10 file goes through the same pipeline as a C-STORE: checked, stored durably
            under blobs/ and cataloged. Folders are searched recursively; a DICOMDIR is skipped
            (its files are found in the folder), and a DICOMDIR named on the command line stands
            for its folder. Files already in the archive are counted as
            duplicates, so an interrupted import is resumed by running it again. It may run
            while `lifeboat serve` serves the same data directory. Exits 1 if any file was refused.
            A file that is not whole (cut short, pixel data shorter than its frames) is refused,
            as a C-STORE of it would be; with --keep-damaged it is kept instead, marked damaged,
            as a version that is never served over an intact one (to rescue a broken export).

            Examples:
              lifeboat import /mnt/usb
              lifeboat import /media/cdrom/DICOMDIR
              lifeboat import --data /var/lib/lifeboat --parallel 8 /exports/pacs-2024
            """
    )

    @Argument(help: "Files and folders to import.")
    var paths: [String]

    @OptionGroup var directory: DataDirectory

    @Option(help: "How many files to import at once.")
    var parallel = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Keep files that are not whole as damaged versions instead of refusing them.")
    var keepDamaged = false

    func run() async throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning // one line per file would drown the summary
            return handler
        }
        let files = try FileList.collect(paths.map(Self.folderOfDICOMDIR))
        guard !files.isEmpty else { throw CLIError("no files to import in \(paths.joined(separator: ", "))") }
        let archive = try LocalArchive(root: directory.data, stagingFolder: "import")
        defer { try? FileManager.default.removeItem(atPath: archive.ingestor.stagingDirectory) }
        let importer = Importer(ingestor: archive.ingestor, keepingDamaged: keepDamaged)
        let progress = Progress(total: files.count)
        let start = Date()
        let lanes = min(parallel, files.count)
        let outcomes = await withTaskGroup(of: [(String, Importer.Outcome)].self) { group in
            for lane in 0..<lanes {
                let share = stride(from: lane, to: files.count, by: lanes).map { files[$0] }
                group.addTask {
                    var outcomes: [(String, Importer.Outcome)] = []
                    for path in share {
                        let outcome = await importer.importFile(at: path)
                        if case .refused = outcome { progress.advance(failed: true) } else { progress.advance(failed: false) }
                        outcomes.append((path, outcome))
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        progress.finish()
        print(Self.summary(outcomes, seconds: Date().timeIntervalSince(start)))
        if outcomes.contains(where: { if case .refused = $0.1 { true } else { false } }) { throw ExitCode(1) }
    }

    /// A DICOMDIR named on the command line (a CD's or a USB stick's, say) stands for the
    /// folder it indexes (PS3.10 8.6: the referenced files are under it).
    static func folderOfDICOMDIR(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        guard (path as NSString).lastPathComponent.uppercased() == "DICOMDIR",
              FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return path }
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    static func summary(_ outcomes: [(String, Importer.Outcome)], seconds: Double) -> String {
        var stored = 0, versions = 0, duplicates = 0
        var skipped: [(String, String)] = [], refused: [(String, String)] = [], damaged: [(String, String)] = []
        for (path, outcome) in outcomes {
            switch outcome {
            case .imported(.stored): stored += 1
            case .imported(.newVersion): versions += 1
            case .imported(.duplicate): duplicates += 1
            case .keptDamaged(_, let why): damaged.append((path, why))
            case .skipped(let why): skipped.append((path, why))
            case .refused(let error): refused.append((path, error.message))
            }
        }
        var lines = [String(format: "%d files in %.1f s: %d new instances, %d new versions of known instances, %d already in the archive, %d skipped, %d refused",
                            outcomes.count, seconds, stored, versions, duplicates, skipped.count, refused.count)
                     + (damaged.isEmpty ? "" : ", \(damaged.count) kept damaged")]
        for (title, list) in [("Kept damaged", damaged), ("Skipped", skipped), ("Refused", refused)] where !list.isEmpty {
            lines.append("\(title) (\(list.count)):")
            lines += list.sorted { $0.0 < $1.0 }.map { "  \($0.0): \($0.1)" }
        }
        return lines.joined(separator: "\n")
    }
}
