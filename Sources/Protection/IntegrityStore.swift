import Archive
import Foundation
import GRDB

/// How far the scrub of one place has come in its current pass.
public struct ScrubCursor: Sendable, Equatable {
    /// "local", or a replication target's name.
    public var place: String
    public var passStartedAt: Date
    /// The last version checked in this pass (versions go in id order); 0 at a pass's start.
    public var lastVersion: Int64
    public var checkedBytes: Int
    public var completedPasses: Int
    public var lastPassEndedAt: Date?

    public init(place: String, passStartedAt: Date, lastVersion: Int64 = 0, checkedBytes: Int = 0, completedPasses: Int = 0, lastPassEndedAt: Date? = nil) {
        self.place = place
        self.passStartedAt = passStartedAt
        self.lastVersion = lastVersion
        self.checkedBytes = checkedBytes
        self.completedPasses = completedPasses
        self.lastPassEndedAt = lastPassEndedAt
    }
}

/// A bad copy found by a scrub or a verify, and what became of it.
public struct IntegrityFinding: Sendable, Equatable {
    public enum Problem: String, Sendable, Codable, CaseIterable {
        /// No copy where one was confirmed.
        case missing
        /// A copy of another size than the one stored: cut short or added to.
        case wrongSize = "wrong-size"
        /// Bytes that do not hash to the name (or a checksum the target recorded that differs).
        case corrupt
        /// On a write-once target: no object lock, or one that ends too soon.
        case notLocked = "not-locked"
    }

    public var id: Int64?
    public var blob: BlobID
    public var place: String
    public var problem: Problem
    public var foundAt: Date
    public var healedAt: Date?
    /// Where the good bytes came from: a target's name, or "local".
    public var healedFrom: String?
    /// No good copy was found anywhere: a critical alert.
    public var unrecoverable: Bool

    public init(id: Int64? = nil, blob: BlobID, place: String, problem: Problem, foundAt: Date = Date(), healedAt: Date? = nil,
                healedFrom: String? = nil, unrecoverable: Bool = false) {
        self.id = id
        self.blob = blob
        self.place = place
        self.problem = problem
        self.foundAt = foundAt
        self.healedAt = healedAt
        self.healedFrom = healedFrom
        self.unrecoverable = unrecoverable
    }
}

/// Where the scrub keeps how far each place's pass has come, and the bad copies it (or a
/// verify) found with what became of them: read by the alerts and the operations page.
public protocol IntegrityStore: Sendable {
    func scrubCursor(place: String) async throws -> ScrubCursor?
    func save(_ cursor: ScrubCursor) async throws
    /// Every place's cursor, by place.
    func scrubCursors() async throws -> [ScrubCursor]
    /// Records a finding (or, with an id, what became of it); returns its id.
    @discardableResult
    func save(_ finding: IntegrityFinding) async throws -> Int64
    /// Findings made since `date`, oldest first.
    func findings(since date: Date) async throws -> [IntegrityFinding]
    /// The newest finding's id (0 when none): where an alert monitor starts reading.
    func lastFindingID() async throws -> Int64
}

extension IntegrityStore {
    public func findings() async throws -> [IntegrityFinding] { try await findings(since: .distantPast) }

    /// Every place's cursor, with the share of the catalog's versions its current pass has covered.
    public func scrubProgress(in catalog: Catalog) async throws -> [(cursor: ScrubCursor, coveredPercent: Double)] {
        let cursors = try await scrubCursors()
        let counts = try await catalog.versionCounts(upTo: cursors.map(\.lastVersion))
        return zip(cursors, counts.upTo).map { cursor, covered in
            (cursor, counts.total == 0 ? 100 : Double(covered) * 100 / Double(counts.total))
        }
    }
}

/// The cursors and findings in the node's SQLite database (tables `scrubCursor` and
/// `integrityFinding`), beside the catalog.
public struct SQLiteIntegrityStore: IntegrityStore {
    let pool: DatabasePool

    /// Makes the tables on `pool` if they are not there yet, under the migration's name from
    /// when the catalog made them.
    public init(pool: DatabasePool) throws {
        try SharedDatabase.migrate(pool, [
            "5: scrub progress and integrity findings": """
                -- How far the current scrub pass of one place ('local' or a target's name) has come:
                -- versions are checked in id order, so a restarted scrub goes on after lastVersion.
                CREATE TABLE scrubCursor (
                    place TEXT PRIMARY KEY,
                    passStartedAt TEXT NOT NULL,
                    lastVersion INTEGER NOT NULL,
                    checkedBytes INTEGER NOT NULL,
                    completedPasses INTEGER NOT NULL DEFAULT 0,
                    lastPassEndedAt TEXT
                ) WITHOUT ROWID;
                -- A copy found bad (missing, wrong size, not hashing to its name, not locked), and
                -- whether it was healed, from where, or has no good copy anywhere.
                CREATE TABLE integrityFinding (
                    id INTEGER PRIMARY KEY,
                    blobHash TEXT NOT NULL,
                    place TEXT NOT NULL,
                    problem TEXT NOT NULL,
                    foundAt TEXT NOT NULL,
                    healedAt TEXT,
                    healedFrom TEXT,
                    unrecoverable INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX integrityFinding_found ON integrityFinding (foundAt);
                """,
        ])
        self.pool = pool
    }

    static let timestamp = Catalog.timestamp

    public func scrubCursor(place: String) async throws -> ScrubCursor? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM scrubCursor WHERE place = ?", arguments: [place]).map { row in
                ScrubCursor(place: row["place"], passStartedAt: try Self.timestamp.parse(row["passStartedAt"]), lastVersion: row["lastVersion"],
                            checkedBytes: row["checkedBytes"], completedPasses: row["completedPasses"],
                            lastPassEndedAt: try (row["lastPassEndedAt"] as String?).map { try Self.timestamp.parse($0) })
            }
        }
    }

    public func save(_ cursor: ScrubCursor) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO scrubCursor (place, passStartedAt, lastVersion, checkedBytes, completedPasses, lastPassEndedAt)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [cursor.place, Self.timestamp.format(cursor.passStartedAt), cursor.lastVersion, cursor.checkedBytes,
                                 cursor.completedPasses, cursor.lastPassEndedAt.map { Self.timestamp.format($0) }])
        }
    }

    @discardableResult
    public func save(_ finding: IntegrityFinding) async throws -> Int64 {
        try await pool.write { db in
            let values: [(any DatabaseValueConvertible)?] = [finding.blob.hex, finding.place, finding.problem.rawValue, Self.timestamp.format(finding.foundAt),
                                                            finding.healedAt.map { Self.timestamp.format($0) }, finding.healedFrom, finding.unrecoverable]
            if let id = finding.id {
                try db.execute(sql: """
                    UPDATE integrityFinding SET blobHash = ?, place = ?, problem = ?, foundAt = ?, healedAt = ?, healedFrom = ?, unrecoverable = ?
                    WHERE id = ?
                    """, arguments: StatementArguments(values + [id]))
                return id
            }
            try db.execute(sql: """
                INSERT INTO integrityFinding (blobHash, place, problem, foundAt, healedAt, healedFrom, unrecoverable) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: StatementArguments(values))
            return db.lastInsertedRowID
        }
    }

    public func findings(since date: Date) async throws -> [IntegrityFinding] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM integrityFinding WHERE foundAt >= ? ORDER BY id", arguments: [Self.timestamp.format(date)]).compactMap { row in
                guard let blob = BlobID(hex: row["blobHash"]), let problem = IntegrityFinding.Problem(rawValue: row["problem"]) else { return nil }
                return IntegrityFinding(id: row["id"], blob: blob, place: row["place"], problem: problem, foundAt: try Self.timestamp.parse(row["foundAt"]),
                                        healedAt: try (row["healedAt"] as String?).map { try Self.timestamp.parse($0) }, healedFrom: row["healedFrom"],
                                        unrecoverable: row["unrecoverable"])
            }
        }
    }

    public func scrubCursors() async throws -> [ScrubCursor] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM scrubCursor ORDER BY place").compactMap { row in
                guard let started = try? Self.timestamp.parse(row["passStartedAt"]) else { return nil }
                return ScrubCursor(place: row["place"], passStartedAt: started, lastVersion: row["lastVersion"], checkedBytes: row["checkedBytes"],
                                   completedPasses: row["completedPasses"],
                                   lastPassEndedAt: (row["lastPassEndedAt"] as String?).flatMap { try? Self.timestamp.parse($0) })
            }
        }
    }

    public func lastFindingID() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM integrityFinding") ?? 0 }
    }
}
