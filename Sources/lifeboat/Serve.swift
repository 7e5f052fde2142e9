import Archive
import ArgumentParser
import DICOMNetwork
import Foundation
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the archive: a DICOM SCP for C-ECHO and C-STORE.",
        discussion: """
            Received instances are answered Success only once they are durable: the Part 10
            file fsync'ed under blobs/ (named by its SHA-256) and its catalog row committed in
            catalog.sqlite. On start, what a crash left half-done is put right first.
            Runs until interrupted.

            Examples:
              lifeboat serve
              lifeboat serve --ae-title ARCHIVE --dicom-port 11112 --data /var/lib/lifeboat
            """
    )

    @Option(help: "The AE title this archive answers to.")
    var aeTitle = "LIFEBOAT"

    @Option(help: "The TCP port for DICOM.")
    var dicomPort = 11112

    @Option(help: "The data directory.")
    var data = "lifeboat-data"

    @Option(help: "The largest P-DATA-TF PDU accepted, in bytes.")
    var maxPDU: UInt32 = 256 * 1024

    @Option(help: "How many associations at once.")
    var maxAssociations = 64

    @Flag(help: "Accept associations addressed to any AE title.")
    var anyCalledAETitle = false

    func run() async throws {
        guard let title = AETitle(validating: aeTitle) else {
            throw ValidationError("\"\(aeTitle)\" is not an AE title: 1 to 16 characters, no backslash or control characters")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let archive = try LocalArchive(root: data)
        let report = try await archive.recover()
        if !report.missing.isEmpty {
            FileHandle.standardError.write(Data("lifeboat: \(report.missing.count) cataloged blobs are missing from \(data)/blobs: see the log above\n".utf8))
        }
        let policy = AcceptorPolicy(aeTitle: title, requireCalledAETitle: !anyCalledAETitle, maximumLength: maxPDU)
        let server = DICOMServer(configuration: .init(port: dicomPort, policy: policy, maximumAssociations: maxAssociations), store: archive.ingestor)
        try await server.run { [data] port in
            FileHandle.standardOutput.write(Data("lifeboat: \(title) listening for DICOM on port \(port); archive in \(data)\n".utf8))
        }
    }
}
