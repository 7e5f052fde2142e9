import Crypto
import Foundation

/// One entry of the audit trail: who did what to which patient's data, from where, and how
/// it ended — chained to the entry before it by that entry's SHA-256, so that altering,
/// removing or reordering an entry breaks the chain at that point.
public struct AuditRecord: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case store, query, retrieve, view, export, login, loginFailed = "login-failed", rejection, configurationChange = "configuration-change",
             administration, auditRead = "audit-read",
             /// A bad copy found by the scrub or a verify, and its healing.
             integrity
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

    /// ISO 8601 in UTC with milliseconds and its "Z" (RFC 5424 wants the zone too).
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public init(sequence: Int, time: Date, action: Action, succeeded: Bool, actor: String, source: String, subject: String, detail: String,
                previous: String) {
        self.init(unhashed: sequence, entry: AuditLog.Entry(action, succeeded: succeeded, actor: actor, source: source, subject: subject, detail: detail,
                                                             time: time), previous: previous)
        hash = Self.hash(of: canonicalJSON())
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

    public func computedHash() -> String { Self.hash(of: canonicalJSON()) }

    static func hash(of canonical: Data) -> String {
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: SHA256.hash(data: canonical).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] }, as: UTF8.self)
    }

    /// The line written to the log: the canonical JSON with the hash in it.
    func line() -> Data { Self.line(canonical: canonicalJSON(), hash: hash) }

    /// The hash goes first rather than in sorted place — readers decode the line, so key
    /// order is no matter — and the canonical JSON hashed is reused: one encoding a record.
    static func line(canonical: Data, hash: String) -> Data {
        var canonical = canonical
        // `{"action":…,"hash":"",…}` becomes `{"hash":"…","action":…}`.
        if let empty = canonical.range(of: Data(#""hash":"","#.utf8)) { canonical.removeSubrange(empty) }
        return Data(#"{"hash":"\#(hash)","#.utf8) + canonical.dropFirst() + Data("\n".utf8)
    }

    /// A record and its log line, encoded once.
    static func chained(sequence: Int, entry: AuditLog.Entry, previous: String) -> (AuditRecord, Data) {
        var record = AuditRecord(unhashed: sequence, entry: entry, previous: previous)
        let canonical = record.canonicalJSON()
        record.hash = hash(of: canonical)
        return (record, line(canonical: canonical, hash: record.hash))
    }

    private init(unhashed sequence: Int, entry: AuditLog.Entry, previous: String) {
        self.sequence = sequence
        time = Self.timeFormat.format(entry.time)
        action = entry.action
        succeeded = entry.succeeded
        actor = entry.actor
        source = entry.source
        subject = entry.subject
        detail = entry.detail
        self.previous = previous
        hash = ""
    }
}
