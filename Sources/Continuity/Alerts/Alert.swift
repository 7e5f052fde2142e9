import Foundation

/// Something an administrator must hear of — or hear is over. One incident (a kind and a
/// subject: "pacs-down" of "PACS") is told once when it begins and once when it ends.
public struct Alert: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case pacsDown = "pacs-down"
        case recoveryPoint = "recovery-point"
        case replicationFailed = "replication-failed"
        case corruption
        case noGoodCopy = "no-good-copy"
        case drillFailed = "drill-failed"
        case diskFilling = "disk-filling"
        case auditChain = "audit-chain"
    }

    public enum Severity: String, Sendable, Codable {
        case critical, warning
    }

    public enum State: String, Sendable, Codable {
        case firing, resolved
    }

    public var kind: Kind
    /// What it concerns: a node, a target, a place, a blob, the disk.
    public var subject: String
    public var severity: Severity
    public var state: State
    /// One line: what happened.
    public var summary: String
    /// What to look at or do.
    public var detail: String
    public var at: Date
    /// The Lifeboat that says so (its AE title).
    public var source: String

    public init(_ kind: Kind, subject: String, severity: Severity, state: State = .firing, summary: String, detail: String = "",
                at: Date = Date(), source: String = "") {
        self.kind = kind
        self.subject = subject
        self.severity = severity
        self.state = state
        self.summary = summary
        self.detail = detail
        self.at = at
        self.source = source
    }

    /// The incident it belongs to.
    public var key: String { "\(kind.rawValue):\(subject)" }

    /// "[Lifeboat LIFEBOAT] CRITICAL pacs-down PACS: PACS is down" or "... RESOLVED ...".
    public var title: String {
        let label = state == .resolved ? "RESOLVED" : severity.rawValue.uppercased()
        return "[Lifeboat \(source)] \(label) \(kind.rawValue) \(subject): \(summary)"
    }
}
