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
            """
    )

    @Option(help: "A YAML configuration file.")
    var config: String?

    @Option(help: "The AE title this archive answers to (default: LIFEBOAT).")
    var aeTitle: String?

    @Option(help: "The address the DICOM and HTTP ports listen on (default: 0.0.0.0, every interface).")
    var bindAddress: String?

    @Option(help: "Seconds an HTTP connection may stay idle, with unfinished headers or a body making no progress (default: 60).")
    var httpIdleSeconds: Int?

    @Option(help: "The TCP port for DICOM (default: 11112).")
    var dicomPort: Int?

    @Option(help: "The TCP port for HTTP: DICOMweb and WADO-URI (default: 8080; 0 turns HTTP off).")
    var httpPort: Int?

    @Option(help: "The web origin a browser viewer on another site may call DICOMweb from; \"*\" for any (default: none).")
    var corsAllowOrigin: String?

    @Option(help: "The data directory (default: lifeboat-data).")
    var data: String?

    @Option(help: "The largest P-DATA-TF PDU accepted, in bytes (default: 262144).")
    var maxPDU: Int?

    @Option(help: "How many associations at once (default: 64).")
    var maxAssociations: Int?

    @Flag(help: "Accept associations addressed to any AE title.")
    var anyCalledAETitle = false

    @Option(help: "Match person names in C-FIND regardless of case: true or false (default: true).")
    var caseInsensitiveNames: Bool?

    @Option(help: "A DICOM node C-MOVE may send to, as AE@host:port; repeat it or separate nodes with commas.")
    var dicomNodes: [String] = []

    @Option(help: "Answer a store Success only once this many replication targets hold it; 0 replicates asynchronously (default: 0).")
    var replicationQuorum: Int?

    @Option(help: "Seconds a store waits for the replication quorum (default: 10).")
    var replicationSyncTimeout: Int?

    @Option(help: "When the quorum is not reached in time: fail (A700, the sender retries) or accept (with an alert) (default: fail).")
    var replicationSyncPolicy: String?

    @Option(help: "How often a copy of the catalog goes to each s3 and filesystem target, in hours; 0: never (default: 6).")
    var catalogSnapshotHours: Int?

    @Flag(help: "Let other Lifeboats replicate here, presenting the token in $LIFEBOAT_REPLICATION_TOKEN (or replication-token-env).")
    var acceptReplication = false

    @Option(help: "The environment variable holding the token other Lifeboats present (default: LIFEBOAT_REPLICATION_TOKEN).")
    var replicationTokenEnv: String?

    @Flag(help: "Refuse associations from AEs not listed in dicom-peers (set in the --config file).")
    var dicomStrict = false

    @Flag(help: "Also accept HTTP Basic authentication (a user's name and password) on DICOMweb and the API.")
    var httpBasicAuth = false

    @Option(help: "How often the audit log's head is copied to each s3 and filesystem target, in minutes; 0: never (default: 5).")
    var auditHeadMinutes: Int?

    @Option(help: "A second DICOM port speaking TLS (2762 by convention); 0: none (default: 0).")
    var dicomTLSPort: Int?

    @Flag(help: "Serve the HTTP port as HTTPS.")
    var https = false

    @Option(help: "The server's certificate (PEM) for the DICOM TLS port and HTTPS.")
    var tlsCertificate: String?

    @Option(help: "The certificate's private key (PEM).")
    var tlsKey: String?

    @Option(help: "Mutual TLS: the CA certificate (PEM) that must have signed peers' certificates.")
    var tlsClientCA: String?

    @Option(help: "Also send audit records to a syslog collector: udp://host:514 or tls://host:6514.")
    var syslog: String?

    @Option(help: "The CA certificate (PEM) a tls:// syslog collector's certificate must be signed by.")
    var syslogCA: String?

    @Option(help: "How often each s3 and filesystem target gets its change log, in seconds; 0: never (default: 60).")
    var changeLogSeconds: Int?

    @Option(help: "The scrub checks every copy at least once in this many days; 0: no scheduled scrub (default: 30).")
    var scrubDays: Int?

    @Option(help: "The most the scrub reads per second, in MB; 0: no limit (default: 50).")
    var scrubMaxMBPerSecond: Int?

    @Option(help: "The share of each target's copies read back whole in each scrub pass, in percent (default: 1).")
    var scrubReadBackPercent: Int?

    @Option(help: "A node to watch (an AE title from dicom-nodes, the PACS first); repeat it or separate titles with commas.")
    var pacsWatch: [String] = []

    @Option(help: "How often each watched node is probed, in seconds (default: 30).")
    var pacsWatchSeconds: Int?

    @Option(help: "How many unanswered probes in a row make a node down (default: 3).")
    var pacsDownAfter: Int?

    @Option(help: "A watched node found down opens a downtime, closed when it answers again: true or false (default: true).")
    var downtimeAuto: Bool?

    @Option(help: "Alerts as a JSON POST to this URL (default: none).")
    var alertWebhook: String?

    @Option(help: "Alerts by email through this SMTP relay, host:port (default: none).")
    var alertSmtp: String?

    @Option(help: "The sender of alert emails (default: lifeboat@localhost).")
    var alertEmailFrom: String?

    @Option(help: "Who alert emails go to; repeat it or separate addresses with commas.")
    var alertEmailTo: [String] = []

    @Flag(help: "Send alerts to the syslog collector too.")
    var alertSyslog = false

    @Option(help: "The most alert messages in any hour (default: 20).")
    var alertsPerHour: Int?

    @Option(help: "Alert when a target's oldest unconfirmed version is older than this, in minutes (default: 60).")
    var recoveryPointMinutes: Int?

    @Option(help: "Alert when less than this percentage of the data directory's file system is free (default: 10).")
    var diskFreePercent: Int?

    @Option(help: "How often a recovery drill runs against each s3 and filesystem target, in days; 0: never (default: 7).")
    var drillDays: Int?

    @Option(help: "How many studies each drill restores (default: 5).")
    var drillStudies: Int?

    @Option(help: "Every how many drills one restores the last 24 hours too; 0: never (default: 4).")
    var drillNewestDayEvery: Int?

    /// The file's settings with the command line's on top, checked together.
    func resolvedConfiguration() throws -> Configuration {
        var settings = try config.map { path throws(ConfigurationError) in try Configuration.load(path: path, validating: false) } ?? Configuration()
        if let aeTitle { settings.aeTitle = aeTitle }
        if let bindAddress { settings.bindAddress = bindAddress }
        if let httpIdleSeconds { settings.httpIdleSeconds = httpIdleSeconds }
        if let dicomPort { settings.dicomPort = dicomPort }
        if let httpPort { settings.httpPort = httpPort }
        if let corsAllowOrigin { settings.corsAllowOrigin = corsAllowOrigin }
        if let data { settings.data = data }
        if let maxPDU { settings.maxPDU = maxPDU }
        if let maxAssociations { settings.maxAssociations = maxAssociations }
        if anyCalledAETitle { settings.anyCalledAETitle = true }
        if let caseInsensitiveNames { settings.caseInsensitiveNames = caseInsensitiveNames }
        if !dicomNodes.isEmpty { settings.dicomNodes = try Configuration.nodes(from: dicomNodes) }
        if let replicationQuorum { settings.replicationQuorum = replicationQuorum }
        if let replicationSyncTimeout { settings.replicationSyncTimeout = replicationSyncTimeout }
        if let replicationSyncPolicy {
            guard let policy = SyncQuorum.Policy(rawValue: replicationSyncPolicy) else { throw CLIError("--replication-sync-policy is fail or accept") }
            settings.replicationSyncPolicy = policy
        }
        if let catalogSnapshotHours { settings.catalogSnapshotHours = catalogSnapshotHours }
        if acceptReplication { settings.acceptReplication = true }
        if let replicationTokenEnv { settings.replicationTokenVariable = replicationTokenEnv }
        if dicomStrict { settings.dicomStrict = true }
        if httpBasicAuth { settings.httpBasicAuth = true }
        if let auditHeadMinutes { settings.auditHeadMinutes = auditHeadMinutes }
        if let dicomTLSPort { settings.dicomTLSPort = dicomTLSPort }
        if https { settings.https = true }
        if let tlsCertificate { settings.tlsCertificate = tlsCertificate }
        if let tlsKey { settings.tlsKey = tlsKey }
        if let tlsClientCA { settings.tlsClientCA = tlsClientCA }
        if let syslog { settings.syslog = syslog }
        if let syslogCA { settings.syslogCA = syslogCA }
        if let changeLogSeconds { settings.changeLogSeconds = changeLogSeconds }
        if let scrubDays { settings.scrubDays = scrubDays }
        if let scrubMaxMBPerSecond { settings.scrubMaxMBPerSecond = scrubMaxMBPerSecond }
        if let scrubReadBackPercent { settings.scrubReadBackPercent = scrubReadBackPercent }
        let list = { (values: [String]) in values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) } }
        if !pacsWatch.isEmpty { settings.pacsWatch = list(pacsWatch) }
        if let pacsWatchSeconds { settings.pacsWatchSeconds = pacsWatchSeconds }
        if let pacsDownAfter { settings.pacsDownAfter = pacsDownAfter }
        if let downtimeAuto { settings.downtimeAuto = downtimeAuto }
        if let alertWebhook { settings.alertWebhook = alertWebhook }
        if let alertSmtp { settings.alertSMTP = alertSmtp }
        if let alertEmailFrom { settings.alertEmailFrom = alertEmailFrom }
        if !alertEmailTo.isEmpty { settings.alertEmailTo = list(alertEmailTo) }
        if alertSyslog { settings.alertSyslog = true }
        if let alertsPerHour { settings.alertsPerHour = alertsPerHour }
        if let recoveryPointMinutes { settings.recoveryPointMinutes = recoveryPointMinutes }
        if let diskFreePercent { settings.diskFreePercent = diskFreePercent }
        if let drillDays { settings.drillDays = drillDays }
        if let drillStudies { settings.drillStudies = drillStudies }
        if let drillNewestDayEvery { settings.drillNewestDayEvery = drillNewestDayEvery }
        try settings.validate(source: config ?? "the command line")
        return settings
    }

    func run() async throws {
        let settings: Configuration
        do {
            settings = try resolvedConfiguration()
        } catch let error as ConfigurationError {
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
