import ArgumentParser
import Foundation
import LifeboatServer
import Logging
import Replication
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the archive: a DICOM SCP for C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET, and DICOMweb over HTTP.",
        discussion: """
            Received instances are answered Success only once they are durable: the Part 10
            file fsync'ed under blobs/ (named by its SHA-256) and its catalog row committed in
            catalog.sqlite. On start, what a crash left half-done is put right first.
            Every option can also be set in the --config file (`lifeboat config example`
            prints one); an option on the command line wins. Replication targets are set in
            the file only (replication-targets, dicom-peers).

            HTTP needs a signed-in user or an API token (lifeboat user, lifeboat token); on the
            first run an administrator is made with a one-time password in
            <data>/initial-admin-password. Every store, query, retrieve, sign-in and refusal
            is recorded in <data>/audit/audit.log (lifeboat audit verify). Runs until interrupted.

            Examples:
              lifeboat serve
              lifeboat serve --ae-title ARCHIVE --dicom-port 11112 --data /var/lib/lifeboat
              lifeboat serve --dicom-nodes PACS@10.0.0.5:104 --dicom-nodes WS1@10.0.0.9:11112
              lifeboat serve --config /etc/lifeboat.yaml

            Options (each also a key of the --config file):

            """ + Configuration.commandLineHelp
    )

    @Option(help: "A YAML configuration file; an option on the command line wins over it.")
    var config: String?

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var settings: [String] = []

    /// The file's settings with the command line's on top, checked together.
    func resolvedConfiguration() throws(ConfigurationError) -> Configuration {
        var settings = try config.map { path throws(ConfigurationError) in try Configuration.load(path: path, validating: false) } ?? Configuration()
        try settings.apply(commandLine: self.settings)
        try settings.validate(source: config ?? "the command line")
        return settings
    }

    func run() async throws {
        let settings: Configuration
        do {
            settings = try resolvedConfiguration()
        } catch {
            throw CLIError(error.description)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        // SIGTERM and SIGINT stop it like a service: in-flight stores answered, the stop audited, exit 0.
        let node = Running(node: LifeboatNode(configuration: settings), settings: settings)
        let group = ServiceGroup(configuration: .init(services: [.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "lifeboat")))
        do {
            try await group.run()
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        } catch let error as ServiceGroupError {
            throw CLIError("\(error)")
        }
    }

    /// The node, telling the terminal where it listens.
    struct Running: Service {
        let node: LifeboatNode
        let settings: Configuration

        func run() async throws {
            let settings = settings
            try await node.run(onListening: { port in
                FileHandle.standardOutput.write(Data("lifeboat: \(settings.aeTitle) listening for DICOM on port \(port); archive in \(settings.data)\n".utf8))
            }, onHTTPListening: { port in
                FileHandle.standardOutput.write(Data("lifeboat: DICOMweb on http://localhost:\(port)/dicom-web\n".utf8))
            })
        }
    }
}
