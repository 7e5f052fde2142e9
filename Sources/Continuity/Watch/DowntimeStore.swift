import Archive
import Foundation
import GRDB

/// A watched node's state, as the PACS watch last found it.
public enum NodeState: String, Sendable, Codable, CaseIterable {
    /// Answers C-ECHO and C-FIND.
    case up
    /// Answers C-ECHO but not C-FIND (or too slowly): it may be starting or failing.
    case degraded
    /// Does not answer.
    case down
}

/// A change of a node's state, and why.
public struct NodeEvent: Sendable, Equatable, Codable {
    public var node: String
    public var state: NodeState
    public var at: Date
    public var detail: String

    public init(node: String, state: NodeState, at: Date, detail: String) {
        self.node = node
        self.state = state
        self.at = at
        self.detail = detail
    }
}

/// A downtime incident: when it began and ended, and who said so.
public struct Downtime: Sendable, Equatable, Codable {
    public var id: Int64
    public var node: String
    public var startedAt: Date
    /// "watch" when the PACS watch opened it, else the operator's name.
    public var startedBy: String
    public var reason: String
    public var endedAt: Date?
    public var endedBy: String?

    public var interval: DateInterval { DateInterval(start: startedAt, end: max(startedAt, endedAt ?? Date())) }
}

/// What the PACS watch and the operators say of the watched nodes: each change of state, and
/// the downtimes opened and closed (what arrived while one was open goes back first at failback).
public protocol DowntimeStore: Sendable {
    func record(_ event: NodeEvent) async throws
    /// Each node's latest event.
    func latestNodeEvents() async throws -> [NodeEvent]
    /// A node's events, newest first.
    func nodeEvents(node: String, limit: Int) async throws -> [NodeEvent]
    /// Opens a downtime of `node`, unless one is open already; returns the open one.
    @discardableResult
    func startDowntime(node: String, at: Date, by: String, reason: String) async throws -> Downtime
    /// Closes `node`'s open downtime; nil when none was open.
    @discardableResult
    func endDowntime(node: String, at: Date, by: String) async throws -> Downtime?
    /// Downtimes (of one node, or all), newest first.
    func downtimes(node: String?, limit: Int) async throws -> [Downtime]
}

extension DowntimeStore {
    public func nodeEvents(node: String) async throws -> [NodeEvent] { try await nodeEvents(node: node, limit: 100) }
    @discardableResult
    public func startDowntime(node: String, by: String, reason: String) async throws -> Downtime {
        try await startDowntime(node: node, at: Date(), by: by, reason: reason)
    }
    @discardableResult
    public func endDowntime(node: String, by: String) async throws -> Downtime? { try await endDowntime(node: node, at: Date(), by: by) }
    public func downtimes(node: String? = nil) async throws -> [Downtime] { try await downtimes(node: node, limit: 100) }
    public func downtimes(limit: Int) async throws -> [Downtime] { try await downtimes(node: nil, limit: limit) }
}

/// Node events and downtimes in the node's SQLite database (tables `nodeEvent`, `downtime`).
public struct SQLiteDowntimeStore: DowntimeStore {
    let pool: DatabasePool

    /// Makes the tables on `pool` if they are not there yet, under the migration's name from
    /// when the catalog made them, so a database that has them is left as it is.
    public init(pool: DatabasePool) throws {
        try SharedDatabase.migrate(pool, [
            "7: node health and downtime incidents": """
                -- Each change of a watched DICOM node's state (up, degraded, down), and why.
                CREATE TABLE nodeEvent (
                    id INTEGER PRIMARY KEY,
                    node TEXT NOT NULL,
                    state TEXT NOT NULL,
                    at TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX nodeEvent_node ON nodeEvent (node, at);
                -- A downtime of a node (the PACS): opened by the watch or an operator, closed the
                -- same way; what arrived while it was open goes back first at failback.
                CREATE TABLE downtime (
                    id INTEGER PRIMARY KEY,
                    node TEXT NOT NULL,
                    startedAt TEXT NOT NULL,
                    startedBy TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    endedAt TEXT,
                    endedBy TEXT
                );
                CREATE INDEX downtime_node ON downtime (node, startedAt);
                """,
        ])
        self.pool = pool
    }

    static let timestamp = Catalog.timestamp

    public func record(_ event: NodeEvent) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO nodeEvent (node, state, at, detail) VALUES (?, ?, ?, ?)",
                           arguments: [event.node, event.state.rawValue, Self.timestamp.format(event.at), event.detail])
        }
    }

    public func latestNodeEvents() async throws -> [NodeEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT node, state, at, detail FROM nodeEvent e WHERE id = (SELECT max(id) FROM nodeEvent WHERE node = e.node) ORDER BY node
                """).compactMap(Self.nodeEvent)
        }
    }

    public func nodeEvents(node: String, limit: Int) async throws -> [NodeEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT node, state, at, detail FROM nodeEvent WHERE node = ? ORDER BY id DESC LIMIT ?",
                             arguments: [node, limit]).compactMap(Self.nodeEvent)
        }
    }

    private static func nodeEvent(_ row: Row) -> NodeEvent? {
        guard let state = NodeState(rawValue: row["state"]), let at = try? timestamp.parse(row["at"]) else { return nil }
        return NodeEvent(node: row["node"], state: state, at: at, detail: row["detail"])
    }

    public func startDowntime(node: String, at: Date, by: String, reason: String) async throws -> Downtime {
        try await pool.write { db in
            if let open = try Row.fetchOne(db, sql: "SELECT * FROM downtime WHERE node = ? AND endedAt IS NULL ORDER BY id DESC LIMIT 1", arguments: [node])
                .flatMap(Self.downtime) {
                return open
            }
            try db.execute(sql: "INSERT INTO downtime (node, startedAt, startedBy, reason) VALUES (?, ?, ?, ?)",
                           arguments: [node, Self.timestamp.format(at), by, reason])
            return Downtime(id: db.lastInsertedRowID, node: node, startedAt: at, startedBy: by, reason: reason)
        }
    }

    public func endDowntime(node: String, at: Date, by: String) async throws -> Downtime? {
        try await pool.write { db in
            guard var open = try Row.fetchOne(db, sql: "SELECT * FROM downtime WHERE node = ? AND endedAt IS NULL ORDER BY id DESC LIMIT 1",
                                              arguments: [node]).flatMap(Self.downtime) else { return nil }
            try db.execute(sql: "UPDATE downtime SET endedAt = ?, endedBy = ? WHERE id = ?", arguments: [Self.timestamp.format(at), by, open.id])
            open.endedAt = at
            open.endedBy = by
            return open
        }
    }

    public func downtimes(node: String?, limit: Int) async throws -> [Downtime] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM downtime WHERE ? IS NULL OR node = ? ORDER BY startedAt DESC LIMIT ?",
                             arguments: [node, node, limit]).compactMap(Self.downtime)
        }
    }

    private static func downtime(_ row: Row) -> Downtime? {
        guard let started = try? timestamp.parse(row["startedAt"]) else { return nil }
        return Downtime(id: row["id"], node: row["node"], startedAt: started, startedBy: row["startedBy"], reason: row["reason"],
                        endedAt: (row["endedAt"] as String?).flatMap { try? timestamp.parse($0) }, endedBy: row["endedBy"])
    }
}
