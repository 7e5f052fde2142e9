import ArgumentParser
import DICOMNetwork
import Foundation

/// AE title options shared by the commands that open associations.
struct AETitleOptions: ParsableArguments {
    @Option(name: .customLong("aet"), help: "Our (calling) AE title.")
    var callingAETitle = "LIFEBOAT"

    @Option(name: .customLong("aec"), help: "The peer's (called) AE title.")
    var calledAETitle = "ANY-SCP"

    func titles() throws -> (calling: AETitle, called: AETitle) {
        guard let calling = AETitle(validating: callingAETitle) else { throw ValidationError("--aet \"\(callingAETitle)\" is not an AE title") }
        guard let called = AETitle(validating: calledAETitle) else { throw ValidationError("--aec \"\(calledAETitle)\" is not an AE title") }
        return (calling, called)
    }
}

struct Echo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that a DICOM node answers: C-ECHO (verification).",
        discussion: """
            Exits 0 when the node accepts the association and answers Success.

            Examples:
              lifeboat echo localhost 11112 --aec LIFEBOAT
              lifeboat echo pacs.example.org 104 --aet LIFEBOAT --aec PACS
            """
    )

    @Argument(help: "The node's host name or address.")
    var host: String

    @Argument(help: "The node's DICOM port.")
    var port: Int

    @OptionGroup var titles: AETitleOptions

    func run() async throws {
        let (calling, called) = try titles.titles()
        let configuration = RequestorAssociation.Configuration(host: host, port: port, callingAETitle: calling, calledAETitle: called)
        let context = ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: ["1.2.840.10008.1.2"])
        let start = Date()
        do {
            let status = try await RequestorAssociation.withAssociation(configuration, proposing: [context]) { try await $0.echo() }
            guard status == .success else {
                throw CLIError("\(called)@\(host):\(port) answered C-ECHO with status \(status)")
            }
            print("\(called)@\(host):\(port) answered C-ECHO: Success (\(Int(Date().timeIntervalSince(start) * 1000)) ms)")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("C-ECHO to \(called)@\(host):\(port) failed: \(error)")
        }
    }
}

/// A failure the user is told about in one line, with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
