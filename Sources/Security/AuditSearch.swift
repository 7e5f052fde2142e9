import Foundation

/// Finds records in an audit log: by who, what, when, and — "who looked at this patient?" —
/// by any identifier of the patient's data (their ID, their studies' and instances' UIDs)
/// the record's subject names.
public struct AuditSearch: Sendable {
    public var actor: String?
    public var action: AuditRecord.Action?
    /// ISO 8601 times (or dates), compared as text: records are written in UTC.
    public var from: String?
    public var to: String?
    /// Any of these appearing in a record's subject makes it match.
    public var identifiers: Set<String> = []
    public var onlyFailures = false
    /// The newest this many.
    public var limit = 500

    public init() {}

    func matches(_ record: AuditRecord) -> Bool {
        if let actor, record.actor != actor { return false }
        if let action, record.action != action { return false }
        if let from, record.time < from { return false }
        if let to, record.time > to { return false }
        if onlyFailures && record.succeeded { return false }
        if !identifiers.isEmpty {
            // Subjects are paths and key=value lists: split on their separators, match whole tokens.
            let tokens = record.subject.split(whereSeparator: { "/ =?&".contains($0) }).map(String.init)
            guard tokens.contains(where: identifiers.contains) else { return false }
        }
        return true
    }

    /// The matching records of the log at `path`, newest first.
    public func run(path: String) throws -> [AuditRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { throw AuditLog.Failure(description: "cannot read \(path)") }
        var found: [AuditRecord] = []
        for line in data.split(separator: UInt8(ascii: "\n")).reversed() {
            guard let record = try? JSONDecoder().decode(AuditRecord.self, from: Data(line)), matches(record) else { continue }
            found.append(record)
            if found.count == limit { break }
        }
        return found
    }
}
