import Crypto
import Foundation

/// One entry of the audit trail: who did what to which patient's data, from where, and how
/// it ended — chained to the entry before it by that entry's SHA-256, so that altering,
/// removing or reordering an entry breaks the chain at that point.
public struct AuditRecord: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case store, query, retrieve, view, export, login, loginFailed = "login-failed", rejection, configurationChange = "configuration-change",
             administration, auditRead = "audit-read"
    }

    /// 1, 2, 3...: a gap says an entry was removed.
    public var sequence: Int
    /// ISO 8601, UTC.
    public var time: String
    public var action: Action
    public var succeeded: Bool
    /// A user name or a calling AE title.
    public var actor: String
    /// An address: the peer's IP, or "local" for the command line.
    public var source: String
    /// What it concerned: a patient ID, a study UID, a setting.
    public var subject: String
    public var detail: String
    /// The SHA-256 (hex) of the entry before; 64 zeros for the first.
    public var previous: String
    /// The SHA-256 (hex) of this entry's canonical JSON without this field.
    public var hash: String

    public static let genesis = String(repeating: "0", count: 64)

    public init(sequence: Int, time: Date, action: Action, succeeded: Bool, actor: String, source: String, subject: String, detail: String,
                previous: String) {
        self.sequence = sequence
        self.time = time.ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        self.action = action
        self.succeeded = succeeded
        self.actor = actor
        self.source = source
        self.subject = subject
        self.detail = detail
        self.previous = previous
        hash = ""
        hash = computedHash()
    }

    /// The JSON the hash is taken over: every field but `hash`, keys sorted.
    func canonicalJSON() -> Data {
        var unhashed = self
        unhashed.hash = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans only: encoding cannot fail.
        return (try? encoder.encode(unhashed)) ?? Data()
    }

    public func computedHash() -> String {
        SHA256.hash(data: canonicalJSON()).map { String(format: "%02x", $0) }.joined()
    }

    /// The line written to the log: the canonical JSON with the hash in it.
    func line() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }
}
