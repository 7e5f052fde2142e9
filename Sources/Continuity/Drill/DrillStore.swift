import Archive
import Foundation
import GRDB

/// A drill as it is kept: the report is the drill's own JSON.
public struct DrillRecord: Sendable, Equatable {
    public var id: Int64
    public var target: String
    public var startedAt: Date
    public var passed: Bool
    public var report: String
}

/// Where the evidence of each recovery drill is kept, for the dashboard, the capacity plan
/// and the next scheduled drill's choice of target.
public protocol DrillStore: Sendable {
    func record(drill target: String, startedAt: Date, passed: Bool, report: String) async throws
    /// Drills, newest first.
    func drills(limit: Int) async throws -> [DrillRecord]
}

extension DrillStore {
    public func drills() async throws -> [DrillRecord] { try await drills(limit: 50) }
}

/// The drills in the node's SQLite database (table `drill`), beside the catalog.
public struct SQLiteDrillStore: DrillStore {
    let pool: DatabasePool

    /// Makes the table on `pool` if it is not there yet, under the migration's name from when
    /// the catalog made it.
    public init(pool: DatabasePool) throws {
        try SharedDatabase.migrate(pool, [
            "9: recovery drills": """
                -- The evidence of each recovery drill: which target, when, whether it passed, and its
                -- report (JSON: the sample, the measured rate, the recovery times it implies).
                CREATE TABLE drill (
                    id INTEGER PRIMARY KEY,
                    target TEXT NOT NULL,
                    startedAt TEXT NOT NULL,
                    passed INTEGER NOT NULL,
                    report TEXT NOT NULL
                );
                CREATE INDEX drill_target ON drill (target, startedAt);
                """,
        ])
        self.pool = pool
    }

    static let timestamp = Catalog.timestamp

    public func record(drill target: String, startedAt: Date, passed: Bool, report: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO drill (target, startedAt, passed, report) VALUES (?, ?, ?, ?)",
                           arguments: [target, Self.timestamp.format(startedAt), passed, report])
        }
    }

    public func drills(limit: Int) async throws -> [DrillRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM drill ORDER BY startedAt DESC LIMIT ?", arguments: [limit]).compactMap { row in
                guard let started = try? Self.timestamp.parse(row["startedAt"]) else { return nil }
                return DrillRecord(id: row["id"], target: row["target"], startedAt: started, passed: row["passed"], report: row["report"])
            }
        }
    }
}
