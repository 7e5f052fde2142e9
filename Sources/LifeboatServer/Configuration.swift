import DICOMNetwork
import Foundation
import Replication
import Security
import Yams

/// Everything `lifeboat serve` can be told, from one YAML file (`--config`) whose keys are
/// the command-line options' names; a flag given on the command line wins over the file.
public struct Configuration: Sendable, Equatable {
    public var aeTitle = "LIFEBOAT"
    public var bindAddress = "0.0.0.0"
    public var dicomPort = 11112
    public var httpPort = 8080
    public var httpIdleSeconds = 60
    public var corsAllowOrigin = ""
    public var data = "lifeboat-data"
    public var maxPDU = 256 * 1024
    public var maxAssociations = 64
    public var anyCalledAETitle = false
    public var caseInsensitiveNames = true
    public var dicomNodes: [DICOMNode] = []
    public var replicationTargets: [ReplicationTargetSpec] = []
    public var replicationQuorum = 0
    public var replicationSyncTimeout = 10
    public var replicationSyncPolicy = SyncQuorum.Policy.fail
    public var catalogSnapshotHours = 6
    public var acceptReplication = false
    public var replicationTokenVariable = "LIFEBOAT_REPLICATION_TOKEN"
    public var dicomPeers: [DICOMAccess.Peer] = []
    public var dicomStrict = false
    public var httpBasicAuth = false
    public var auditHeadMinutes = 5
    public var dicomTLSPort = 0
    public var https = false
    public var tlsCertificate = ""
    public var tlsKey = ""
    public var tlsClientCA = ""
    public var syslog = ""
    public var syslogCA = ""
    public var changeLogSeconds = 60
    public var scrubDays = 30
    public var scrubMaxMBPerSecond = 50
    public var scrubReadBackPercent = 1
    public var pacsWatch: [String] = []
    public var pacsWatchSeconds = 30
    public var pacsDownAfter = 3
    public var downtimeAuto = true
    public var alertWebhook = ""
    public var alertSMTP = ""
    public var alertEmailFrom = "lifeboat@localhost"
    public var alertEmailTo: [String] = []
    public var alertSyslog = false
    public var alertsPerHour = 20
    public var recoveryPointMinutes = 60
    public var diskFreePercent = 10
    public var drillDays = 7
    public var drillStudies = 5
    public var drillNewestDayEvery = 4

    public init() {}

    /// Each key: its name in the file (and on the command line), what it means, and how it
    /// is read and written. `example` and `load` are both made from this one list.
    struct Key: Sendable {
        let name: String
        let help: String
        let read: @Sendable (inout Configuration, Node) throws -> Void
        let write: @Sendable (Configuration) -> String
        /// What it holds, which says how the command line gives it.
        var kind = Kind.value
        /// Set in the file only (a list of mappings), not on the command line.
        var fileOnly = false

        enum Kind: Sendable {
            case value
            /// true or false: on the command line it may stand alone.
            case boolean
            /// A list: on the command line it may be repeated.
            case list
        }

        var isBoolean: Bool { kind == .boolean }
        var isList: Bool { kind == .list }

        /// A whole number within `range`.
        static func integer(_ name: String, _ path: WritableKeyPath<Configuration, Int> & Sendable, in range: ClosedRange<Int>, help: String) -> Key {
            Key(name: name, help: help, read: { $0[keyPath: path] = try Configuration.integer($1, in: range) }, write: { "\($0[keyPath: path])" })
        }

        /// true or false (yes/no, on/off).
        static func boolean(_ name: String, _ path: WritableKeyPath<Configuration, Bool> & Sendable, help: String) -> Key {
            Key(name: name, help: help, read: { $0[keyPath: path] = try Configuration.boolean($1) }, write: { "\($0[keyPath: path])" }, kind: .boolean)
        }
    }

    static let keys: [Key] = [
        Key(name: "ae-title", help: "The AE title this archive answers to (1 to 16 characters).",
            read: { $0.aeTitle = try string($1) }, write: { $0.aeTitle }),
        Key(name: "bind-address", help: "The address the DICOM and HTTP ports listen on: 0.0.0.0 for every interface, 127.0.0.1 for this machine only, or one interface's.",
            read: { $0.bindAddress = try string($1) }, write: { $0.bindAddress }),
        .integer("dicom-port", \.dicomPort, in: 1...65535, help: "The TCP port for DICOM (C-ECHO, C-STORE, C-FIND)."),
        .integer("http-port", \.httpPort, in: 0...65535, help: "The TCP port for HTTP: DICOMweb under /dicom-web, WADO-URI at /wado; 0 turns HTTP off."),
        .integer("http-idle-seconds", \.httpIdleSeconds, in: 1...3600, help: """
                An HTTP connection is closed when this long passes without a request, with its request headers unfinished,
                or with its body making no progress (not while an answer is being sent).
                """),
        Key(name: "cors-allow-origin", help: "The web origin a browser viewer on another site calls DICOMweb from (\"*\" for any); empty sends no CORS headers.",
            read: { $0.corsAllowOrigin = try string($1) }, write: { "\"\($0.corsAllowOrigin)\"" }),
        Key(name: "data", help: "The data directory: blobs/, tmp/ and catalog.sqlite.",
            read: { $0.data = try string($1) }, write: { $0.data }),
        Key(name: "max-pdu", help: "The largest P-DATA-TF PDU accepted, in bytes.",
            read: { $0.maxPDU = try integer($1, in: 4096...(16 << 20)) }, write: { "\($0.maxPDU)" }),
        .integer("max-associations", \.maxAssociations, in: 1...10_000, help: "How many associations at once; more are rejected as transient."),
        .boolean("any-called-ae-title", \.anyCalledAETitle, help: "Accept associations addressed to any AE title."),
        .boolean("case-insensitive-names", \.caseInsensitiveNames, help: "Match person names in queries (C-FIND) regardless of case."),
        Key(name: "dicom-nodes", help: "The DICOM nodes C-MOVE may send to, each as AE@host:port, e.g. [PACS@10.0.0.5:104, WS1@10.0.0.9:11112].",
            read: { $0.dicomNodes = try nodes($1) }, write: { "[" + $0.dicomNodes.map(\.description).joined(separator: ", ") + "]" }, kind: .list),
        Key(name: "replication-targets", help: ReplicationTargetSpec.help,
            read: { $0.replicationTargets = try ReplicationTargetSpec.list($1) },
            write: { "[" + $0.replicationTargets.map(\.summary).joined(separator: ", ") + "]" }, fileOnly: true),
        .integer("replication-quorum", \.replicationQuorum, in: 0...64, help: """
                Synchronous replication: a store is answered Success only once that many of the sync targets
                (every target unless it says sync: false) hold the instance; 0 replicates asynchronously.
                """),
        .integer("replication-sync-timeout", \.replicationSyncTimeout, in: 1...3600, help: "Seconds a store waits for the replication quorum before the policy below decides."),
        Key(name: "replication-sync-policy", help: """
                When the quorum is not reached in time: fail (the store is refused with A700 and the modality sends
                it again; it stays stored here) or accept (answered Success, with a critical alert).
                """,
            read: {
                guard let policy = SyncQuorum.Policy(rawValue: try string($1)) else { throw ConfigurationError("expected fail or accept") }
                $0.replicationSyncPolicy = policy
            }, write: { $0.replicationSyncPolicy.rawValue }),
        .integer("catalog-snapshot-hours", \.catalogSnapshotHours, in: 0...8760, help: "How often a copy of the catalog goes to each s3 and filesystem target (catalog/<time>.sqlite); 0: never."),
        .integer("change-log-seconds", \.changeLogSeconds, in: 0...86400, help: """
                How often each s3 and filesystem target gets the versions it confirmed since the last time, as a change
                log (changes/<time>-<n>.jsonl): with the snapshots, what restores the catalog as it stood at any moment; 0: never.
                """),
        .boolean("accept-replication", \.acceptReplication, help: "Let other Lifeboats replicate here (their lifeboat target), over HTTP with the token below."),
        Key(name: "replication-token-env", help: "The environment variable holding the token other Lifeboats must present to replicate here.",
            read: { $0.replicationTokenVariable = try string($1) }, write: { $0.replicationTokenVariable }),
        Key(name: "dicom-peers", help: DICOMPeerSpec.help,
            read: { $0.dicomPeers = try DICOMPeerSpec.list($1) }, write: { "[" + $0.dicomPeers.map(DICOMPeerSpec.summary).joined(separator: ", ") + "]" },
            fileOnly: true),
        .boolean("dicom-strict", \.dicomStrict, help: "Refuse associations (A-ASSOCIATE-RJ, calling AE title not recognized) from AEs not in dicom-peers."),
        .boolean("http-basic-auth", \.httpBasicAuth, help: "Also accept HTTP Basic (a user's name and password on every request), for viewers that know no tokens."),
        .integer("audit-head-minutes", \.auditHeadMinutes, in: 0...1440, help: "How often the audit log's newest record (its number and hash) is copied to each s3 and filesystem target, when it has grown; 0: never."),
        .integer("dicom-tls-port", \.dicomTLSPort, in: 0...65535, help: "A second DICOM port that speaks TLS 1.2 or later (BCP 195, PS3.15 B.9; 2762 by convention); 0: none."),
        .boolean("https", \.https, help: "Serve the HTTP port as HTTPS (the session cookie is then marked Secure)."),
        Key(name: "tls-certificate", help: "The server's certificate (PEM, chain allowed) for dicom-tls-port and https.",
            read: { $0.tlsCertificate = try string($1) }, write: { "\"\($0.tlsCertificate)\"" }),
        Key(name: "tls-key", help: "The certificate's private key (PEM).",
            read: { $0.tlsKey = try string($1) }, write: { "\"\($0.tlsKey)\"" }),
        Key(name: "tls-client-ca", help: "Mutual TLS on dicom-tls-port: the CA certificate (PEM) that must have signed peers' certificates; empty: peers present none.",
            read: { $0.tlsClientCA = try string($1) }, write: { "\"\($0.tlsClientCA)\"" }),
        Key(name: "syslog", help: """
                Also send each audit record, as a DICOM audit message (PS3.15 A.5) over syslog (RFC 5424), to a
                collector: udp://host:514 or tls://host:6514; empty: the local log only.
                """,
            read: {
                let text = try string($1)
                guard text.isEmpty || SyslogDestination(text) != nil else { throw ConfigurationError("expected udp://host:port or tls://host:port") }
                $0.syslog = text
            }, write: { "\"\($0.syslog)\"" }),
        Key(name: "syslog-ca", help: "For a tls:// syslog collector: the CA certificate (PEM) its certificate must be signed by; empty: the system's.",
            read: { $0.syslogCA = try string($1) }, write: { "\"\($0.syslogCA)\"" }),
        .integer("scrub-days", \.scrubDays, in: 0...3650, help: """
                The scrub reads every local blob, and asks each s3 and filesystem target after its copy, at least once
                in this many days, healing bad copies from good ones; 0: no scheduled scrub (lifeboat verify still checks).
                """),
        .integer("scrub-max-mb-per-second", \.scrubMaxMBPerSecond, in: 0...100_000, help: "The most the scrub reads per second, in MB, so that ingest keeps the disk; 0: no limit."),
        .integer("scrub-read-back-percent", \.scrubReadBackPercent, in: 0...100, help: """
                The share of each target's copies read back whole and hashed in each pass (a different share each
                time); the others are checked by size, the target's own checksum and object lock.
                """),
        Key(name: "pacs-watch", help: """
                The nodes (AE titles from dicom-nodes, the PACS first) probed with C-ECHO and a small C-FIND every
                pacs-watch-seconds; each change of state (up, degraded, down) is recorded. Empty: nothing is watched.
                """,
            read: { $0.pacsWatch = try titles($1) }, write: { "[" + $0.pacsWatch.joined(separator: ", ") + "]" }, kind: .list),
        .integer("pacs-watch-seconds", \.pacsWatchSeconds, in: 1...3600, help: "How often each watched node is probed."),
        .integer("pacs-down-after", \.pacsDownAfter, in: 1...100, help: "How many probes in a row must go unanswered before a node counts as down."),
        .boolean("downtime-auto", \.downtimeAuto, help: """
                A watched node found down opens a downtime incident, closed when it answers again; otherwise only
                lifeboat downtime start and end do. What arrives during a downtime goes back first at failback.
                """),
        Key(name: "alert-webhook", help: "Alerts as a JSON POST to this URL (a chat tool, a pager, a ticketing system); empty: none.",
            read: {
                let text = try string($1)
                guard text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") else { throw ConfigurationError("expected an http:// or https:// URL") }
                $0.alertWebhook = text
            }, write: { "\"\($0.alertWebhook)\"" }),
        Key(name: "alert-smtp", help: "Alerts by email through this SMTP relay, host:port (plain SMTP, no sign-in); empty: none.",
            read: {
                let text = try string($1)
                guard text.isEmpty || hostAndPort(text) != nil else { throw ConfigurationError("expected host:port") }
                $0.alertSMTP = text
            }, write: { "\"\($0.alertSMTP)\"" }),
        Key(name: "alert-email-from", help: "The sender of alert emails.",
            read: { $0.alertEmailFrom = try string($1) }, write: { $0.alertEmailFrom }),
        Key(name: "alert-email-to", help: "Who alert emails go to, e.g. [pacs-admin@hospital.org, it-oncall@hospital.org].",
            read: { $0.alertEmailTo = try $1.sequence.map { try $0.map(string) } ?? [try string($1)] },
            write: { "[" + $0.alertEmailTo.joined(separator: ", ") + "]" }, kind: .list),
        .boolean("alert-syslog", \.alertSyslog, help: "Alerts to the syslog collector too (the syslog key), facility daemon."),
        .integer("alerts-per-hour", \.alertsPerHour, in: 1...10_000, help: "The most alert messages sent in any hour; those held back are logged and counted in the next."),
        .integer("recovery-point-minutes", \.recoveryPointMinutes, in: 1...100_000, help: "Alert when a replication target's oldest unconfirmed version is older than this."),
        .integer("disk-free-percent", \.diskFreePercent, in: 0...99, help: "Alert when less than this share of the data directory's file system is free (critical below half of it)."),
        .integer("drill-days", \.drillDays, in: 0...365, help: """
                How often lifeboat serve runs a recovery drill against each s3 and filesystem target (a random sample of
                studies read back and hashed, the rate measured, the evidence kept); 0: only lifeboat drill.
                """),
        .integer("drill-studies", \.drillStudies, in: 1...10_000, help: "How many studies, picked at random, each drill restores."),
        .integer("drill-newest-day-every", \.drillNewestDayEvery, in: 0...1000, help: "Every how many scheduled drills one also restores everything received in the last 24 hours; 0: never."),
    ]

    /// "host:port" split; nil when it is not that.
    public static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    /// The TLS identity, when TLS is used at all.
    public var tlsFiles: TLSFiles? {
        guard dicomTLSPort != 0 || https else { return nil }
        return TLSFiles(certificate: tlsCertificate, key: tlsKey, clientCA: tlsClientCA.isEmpty ? nil : tlsClientCA)
    }

    /// The settings as the file would write them, one key a line: what the audit log's
    /// configuration records are a digest of.
    public var canonicalText: String { Self.keys.map { "\($0.name): \($0.write(self))" }.joined(separator: "\n") }

    /// A complete configuration file: every key, what it means, and its default.
    public static var example: String {
        let defaults = Configuration()
        var lines = ["# Lifeboat configuration: `lifeboat serve --config FILE`.",
                     "# Every key is optional; shown here with its default. Flags on the command line win."]
        for key in keys {
            lines += [""] + key.help.split(separator: "\n").map { "# \($0)" } + ["\(key.name): \(key.write(defaults))"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a configuration file; unknown keys and values of the wrong kind are errors, so a
    /// typo never passes silently for a default.
    /// Reads a file; `validating` false leaves `validate` to the caller (after it has put the
    /// command line's settings over the file's).
    public static func load(path: String, validating: Bool = true) throws(ConfigurationError) -> Configuration {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(path): cannot read the file")
        }
        return try parse(text, source: path, validating: validating)
    }

    static func parse(_ text: String, source: String, validating: Bool = true) throws(ConfigurationError) -> Configuration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(source): not YAML: \(error)")
        }
        var configuration = Configuration()
        guard let node else { return configuration } // an empty file: all defaults
        guard let mapping = node.mapping else { throw ConfigurationError("\(source): expected keys and values at the top level") }
        for (keyNode, value) in mapping {
            guard let name = keyNode.string, let key = keys.first(where: { $0.name == name }) else {
                let known = keys.map(\.name).joined(separator: ", ")
                throw ConfigurationError("\(source): unknown key \"\(keyNode.string ?? "?")\" (line \(keyNode.mark?.line ?? 0)); the keys are \(known)")
            }
            do {
                try key.read(&configuration, value)
            } catch {
                throw ConfigurationError("\(source): \(name) (line \(value.mark?.line ?? 0)): \(error)")
            }
        }
        if validating { try configuration.validate(source: source) }
        return configuration
    }

    /// `validate`, its error naming where the settings came from.
    public func validate(source: String) throws(ConfigurationError) {
        do {
            try validate()
        } catch {
            throw ConfigurationError("\(source): \(error)")
        }
    }

    /// What no single key can check: the quorum against the targets, TLS against its files,
    /// the watched nodes and move destinations against the nodes. Each key's own kind and
    /// range are checked as it is read, from the file and the command line alike.
    public func validate() throws(ConfigurationError) {
        let sync = replicationTargets.filter(\.sync).count
        guard replicationQuorum <= sync else {
            throw ConfigurationError("replication-quorum is \(replicationQuorum) but only \(sync) target\(sync == 1 ? "" : "s") can count toward it")
        }
        guard !bindAddress.isEmpty else { throw ConfigurationError("bind-address is empty") }
        if (dicomTLSPort != 0 || https) && (tlsCertificate.isEmpty || tlsKey.isEmpty) {
            throw ConfigurationError("\(https ? "https" : "dicom-tls-port") needs tls-certificate and tls-key")
        }
        guard dicomTLSPort == 0 || dicomTLSPort != dicomPort else { throw ConfigurationError("dicom-tls-port and dicom-port are both \(dicomPort)") }
        for title in pacsWatch where !dicomNodes.contains(where: { $0.aeTitle.value == title }) {
            throw ConfigurationError("pacs-watch: \(title) is not in dicom-nodes")
        }
        guard alertSMTP.isEmpty || !alertEmailTo.isEmpty else { throw ConfigurationError("alert-smtp is set but alert-email-to names no one") }
        guard !alertSyslog || !syslog.isEmpty else { throw ConfigurationError("alert-syslog needs a syslog collector (the syslog key)") }
        for peer in dicomPeers {
            for destination in peer.moveDestinations ?? [] where !dicomNodes.contains(where: { $0.aeTitle.value == destination }) {
                throw ConfigurationError("dicom-peers: \(peer.aeTitle) may move to \(destination), which is not in dicom-nodes")
            }
        }
    }

    private static func string(_ node: Node) throws -> String {
        guard let scalar = node.scalar else { throw ConfigurationError("expected a single value") }
        return scalar.string
    }

    fileprivate static func integer(_ node: Node, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(try string(node)), range.contains(value) else {
            throw ConfigurationError("expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// "AE@host:port" values: a YAML list of them, or one string of them separated by commas.
    public static func nodes(from texts: [String]) throws -> [DICOMNode] {
        var nodes: [DICOMNode] = []
        for text in texts.flatMap({ $0.split(separator: ",") }) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let node = DICOMNode(trimmed) else {
                throw ConfigurationError("\"\(trimmed)\" is not AE@host:port (an AE title of 1 to 16 characters, a host, a port from 1 to 65535)")
            }
            guard !nodes.contains(where: { $0.aeTitle == node.aeTitle }) else { throw ConfigurationError("\(node.aeTitle.value) is listed twice") }
            nodes.append(node)
        }
        return nodes
    }

    private static func nodes(_ node: Node) throws -> [DICOMNode] {
        if let sequence = node.sequence { return try nodes(from: try sequence.map(string)) }
        return try nodes(from: [try string(node)])
    }

    /// A list of AE titles: a YAML list, or one string of them separated by commas.
    private static func titles(_ node: Node) throws -> [String] {
        let texts = try node.sequence.map { try $0.map(string) } ?? [try string(node)]
        return try texts.flatMap { $0.split(separator: ",") }.map { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard AETitle(validating: trimmed) != nil else { throw ConfigurationError("\"\(trimmed)\" is not an AE title (1 to 16 characters)") }
            return trimmed
        }
    }

    fileprivate static func boolean(_ node: Node) throws -> Bool {
        switch try string(node).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError("expected true or false")
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
