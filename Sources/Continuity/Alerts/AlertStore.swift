import Archive
import Foundation
import GRDB

/// An incident alerted on: open from the first time its condition was seen until it is resolved.
public struct AlertIncident: Sendable, Equatable, Codable {
    public var key: String
    public var kind: Alert.Kind
    public var subject: String
    public var severity: Alert.Severity
    public var summary: String
    public var openedAt: Date
    public var resolvedAt: Date?

    public init(key: String, kind: Alert.Kind, subject: String, severity: Alert.Severity, summary: String, openedAt: Date, resolvedAt: Date? = nil) {
        self.key = key
        self.kind = kind
        self.subject = subject
        self.severity = severity
        self.summary = summary
        self.openedAt = openedAt
        self.resolvedAt = resolvedAt
    }
}

/// Where the alerter keeps its incidents, so that a restart neither repeats nor forgets one.
public protocol AlertStore: Sendable {
    /// Opens the incident unless it is open already; true when it was opened now.
    func openIncident(_ incident: AlertIncident) async throws -> Bool
    /// Resolves the open incident with this key; nil when none was open.
    func resolveIncident(key: String, at date: Date) async throws -> AlertIncident?
    /// Incidents, open ones first, then the most recently opened.
    func incidents(limit: Int) async throws -> [AlertIncident]
}

/// The incidents in the node's SQLite database (table `alertIncident`), beside the catalog.
public struct SQLiteAlertStore: AlertStore {
    let pool: DatabasePool

    /// Makes the table on `pool` if it is not there yet: the migration keeps the name it had
    /// when the catalog made it, so a database that has it already is left as it is.
    public init(pool: DatabasePool) throws {
        try SharedDatabase.migrate(pool, [
            "8: alert incidents": """
                -- One row per thing alerted on (kind:subject): open while it holds, so that each incident is
                -- told once, however often it is seen, and its end told once too, across restarts.
                CREATE TABLE alertIncident (
                    key TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    summary TEXT NOT NULL,
                    openedAt TEXT NOT NULL,
                    resolvedAt TEXT
                ) WITHOUT ROWID;
                """,
        ])
        self.pool = pool
    }

    static let timestamp = Catalog.timestamp

    public func openIncident(_ incident: AlertIncident) async throws -> Bool {
        try await pool.write { db in
            if let resolved = try Row.fetchOne(db, sql: "SELECT resolvedAt FROM alertIncident WHERE key = ?", arguments: [incident.key]),
               (resolved["resolvedAt"] as String?) == nil {
                return false
            }
            try db.execute(sql: """
                INSERT OR REPLACE INTO alertIncident (key, kind, subject, severity, summary, openedAt, resolvedAt) VALUES (?, ?, ?, ?, ?, ?, NULL)
                """, arguments: [incident.key, incident.kind.rawValue, incident.subject, incident.severity.rawValue, incident.summary,
                                 Self.timestamp.format(incident.openedAt)])
            return true
        }
    }

    public func resolveIncident(key: String, at date: Date = Date()) async throws -> AlertIncident? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM alertIncident WHERE key = ? AND resolvedAt IS NULL", arguments: [key]),
                  var incident = Self.incident(row) else { return nil }
            try db.execute(sql: "UPDATE alertIncident SET resolvedAt = ? WHERE key = ?", arguments: [Self.timestamp.format(date), key])
            incident.resolvedAt = date
            return incident
        }
    }

    public func incidents(limit: Int = 100) async throws -> [AlertIncident] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alertIncident ORDER BY resolvedAt IS NOT NULL, openedAt DESC LIMIT ?", arguments: [limit])
                .compactMap(Self.incident)
        }
    }

    /// A row as an incident; nil for one this release cannot read (a kind a later one added).
    static func incident(_ row: Row) -> AlertIncident? {
        guard let opened = try? timestamp.parse(row["openedAt"]), let kind = Alert.Kind(rawValue: row["kind"]),
              let severity = Alert.Severity(rawValue: row["severity"]) else { return nil }
        return AlertIncident(key: row["key"], kind: kind, subject: row["subject"], severity: severity, summary: row["summary"],
                             openedAt: opened, resolvedAt: (row["resolvedAt"] as String?).flatMap { try? timestamp.parse($0) })
    }
}

extension AlertStore {
    public func resolveIncident(key: String) async throws -> AlertIncident? { try await resolveIncident(key: key, at: Date()) }
    public func incidents() async throws -> [AlertIncident] { try await incidents(limit: 100) }
}
