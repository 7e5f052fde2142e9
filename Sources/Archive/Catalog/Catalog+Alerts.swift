import Foundation
import GRDB

/// An incident alerted on: open from the first time its condition was seen until it is resolved.
public struct AlertIncident: Sendable, Equatable, Codable {
    public var key: String
    public var kind: String
    public var subject: String
    public var severity: String
    public var summary: String
    public var openedAt: Date
    public var resolvedAt: Date?

    public init(key: String, kind: String, subject: String, severity: String, summary: String, openedAt: Date, resolvedAt: Date? = nil) {
        self.key = key
        self.kind = kind
        self.subject = subject
        self.severity = severity
        self.summary = summary
        self.openedAt = openedAt
        self.resolvedAt = resolvedAt
    }
}

extension Catalog {
    /// Opens the incident unless it is open already; true when it was opened now.
    public func openIncident(_ incident: AlertIncident) async throws -> Bool {
        try await pool.write { db in
            if let resolved = try Row.fetchOne(db, sql: "SELECT resolvedAt FROM alertIncident WHERE key = ?", arguments: [incident.key]),
               (resolved["resolvedAt"] as String?) == nil {
                return false
            }
            try db.execute(sql: """
                INSERT OR REPLACE INTO alertIncident (key, kind, subject, severity, summary, openedAt, resolvedAt) VALUES (?, ?, ?, ?, ?, ?, NULL)
                """, arguments: [incident.key, incident.kind, incident.subject, incident.severity, incident.summary, Self.timestamp.format(incident.openedAt)])
            return true
        }
    }

    /// Resolves the open incident with this key; nil when none was open.
    public func resolveIncident(key: String, at date: Date = Date()) async throws -> AlertIncident? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM alertIncident WHERE key = ? AND resolvedAt IS NULL", arguments: [key]),
                  var incident = Self.incident(row) else { return nil }
            try db.execute(sql: "UPDATE alertIncident SET resolvedAt = ? WHERE key = ?", arguments: [Self.timestamp.format(date), key])
            incident.resolvedAt = date
            return incident
        }
    }

    /// Incidents, open ones first, then the most recently opened.
    public func incidents(limit: Int = 100) async throws -> [AlertIncident] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alertIncident ORDER BY resolvedAt IS NOT NULL, openedAt DESC LIMIT ?", arguments: [limit])
                .compactMap(Self.incident)
        }
    }

    private static func incident(_ row: Row) -> AlertIncident? {
        guard let opened = try? timestamp.parse(row["openedAt"]) else { return nil }
        return AlertIncident(key: row["key"], kind: row["kind"], subject: row["subject"], severity: row["severity"], summary: row["summary"],
                             openedAt: opened, resolvedAt: (row["resolvedAt"] as String?).flatMap { try? timestamp.parse($0) })
    }

    /// The newest integrity finding's id (0 when none): where an alert monitor starts reading.
    public func lastFindingID() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM integrityFinding") ?? 0 }
    }
}
