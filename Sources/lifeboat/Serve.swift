import ArgumentParser
import DICOMNetwork
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive images: a DICOM SCP for C-ECHO and C-STORE.",
        discussion: """
            Received instances are written as Part 10 files into the data directory
            (instances/<SOP Instance UID>.dcm). Runs until interrupted.

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

    @Flag(help: "Answer Success without fsync. Unsafe: for benchmarks against peers that do not fsync either.")
    var unsafeNoFsync = false

    func run() async throws {
        guard let title = AETitle(validating: aeTitle) else {
            throw ValidationError("\"\(aeTitle)\" is not an AE title: 1 to 16 characters, no backslash or control characters")
        }
        let store = try FileStoreProvider(directory: data + "/instances", durable: !unsafeNoFsync)
        if unsafeNoFsync {
            FileHandle.standardError.write(Data("lifeboat: --unsafe-no-fsync: instances are acknowledged before they are durable\n".utf8))
        }
        let policy = AcceptorPolicy(aeTitle: title, requireCalledAETitle: !anyCalledAETitle, maximumLength: maxPDU)
        let server = DICOMServer(configuration: .init(port: dicomPort, policy: policy, maximumAssociations: maxAssociations), store: store)
        try await server.run { port in
            FileHandle.standardOutput.write(Data("lifeboat: \(title) listening for DICOM on port \(port); instances go to \(data)/instances\n".utf8))
        }
    }
}
