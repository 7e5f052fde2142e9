import Foundation
import GRDB

/// A stored version as the scrub sees it: which blob to check and whom it concerns.
public struct ScrubItem: Sendable, Equatable {
    public var versionID: Int64
    public var blob: BlobID
    public var size: Int
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var transferSyntaxUID: String
    public var studyInstanceUID: String
}

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

extension Catalog {
    /// Versions after `versionID`, in id order, at most `limit`; with `target`, only those
    /// that target has confirmed.
    public func scrubItems(after versionID: Int64, limit: Int, replicatedTo target: String? = nil) async throws -> [ScrubItem] {
        try await pool.read { db in
            let confirmed = target == nil ? "" : """
                AND EXISTS (SELECT 1 FROM replica x JOIN replicationTarget t ON x.targetRef = t.id WHERE x.versionRef = v.id AND t.name = ?)
                """
            return try Row.fetchAll(db, sql: """
                SELECT v.id, v.blobHash, v.size, v.sopClassUID, v.transferSyntaxUID, i.sopInstanceUID, s.studyInstanceUID
                FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
                WHERE v.id > ? \(confirmed) ORDER BY v.id LIMIT ?
                """, arguments: StatementArguments([versionID] + (target.map { [$0] } ?? []) + [limit]) ?? []).compactMap { row in
                guard let blob = BlobID(hex: row["blobHash"]) else { return nil }
                return ScrubItem(versionID: row["id"], blob: blob, size: row["size"], sopInstanceUID: row["sopInstanceUID"], sopClassUID: row["sopClassUID"],
                                 transferSyntaxUID: row["transferSyntaxUID"], studyInstanceUID: row["studyInstanceUID"])
            }
        }
    }

    /// How many versions and bytes a pass over a place covers (with `target`, those it holds).
    public func scrubTotals(replicatedTo target: String? = nil) async throws -> (versions: Int, bytes: Int) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: target == nil
                ? "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM version"
                : """
                    SELECT count(*) AS n, coalesce(sum(v.size), 0) AS bytes FROM version v
                    JOIN replica x ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id WHERE t.name = ?
                    """, arguments: StatementArguments(target.map { [$0] } ?? []) ?? [])
            return (row?["n"] ?? 0, row?["bytes"] ?? 0)
        }
    }

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

    /// Records a finding (or, with an id, what became of it); returns its id.
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

    /// Findings made since `date`, oldest first.
    public func findings(since date: Date = .distantPast) async throws -> [IntegrityFinding] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM integrityFinding WHERE foundAt >= ? ORDER BY id", arguments: [Self.timestamp.format(date)]).compactMap { row in
                guard let blob = BlobID(hex: row["blobHash"]), let problem = IntegrityFinding.Problem(rawValue: row["problem"]) else { return nil }
                return IntegrityFinding(id: row["id"], blob: blob, place: row["place"], problem: problem, foundAt: try Self.timestamp.parse(row["foundAt"]),
                                        healedAt: try (row["healedAt"] as String?).map { try Self.timestamp.parse($0) }, healedFrom: row["healedFrom"],
                                        unrecoverable: row["unrecoverable"])
            }
        }
    }

    /// A version's catalog facts by its blob, for healing a copy the scrub did not reach in order.
    public func scrubItem(blob: BlobID) async throws -> ScrubItem? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT v.id, v.size, v.sopClassUID, v.transferSyntaxUID, i.sopInstanceUID, s.studyInstanceUID
                FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
                WHERE v.blobHash = ? LIMIT 1
                """, arguments: [blob.hex]).map { row in
                ScrubItem(versionID: row["id"], blob: blob, size: row["size"], sopInstanceUID: row["sopInstanceUID"], sopClassUID: row["sopClassUID"],
                          transferSyntaxUID: row["transferSyntaxUID"], studyInstanceUID: row["studyInstanceUID"])
            }
        }
    }
}

extension Catalog {
    /// Every place's scrub cursor, with the share of the versions its current pass has covered.
    public func scrubProgress() async throws -> [(cursor: ScrubCursor, coveredPercent: Double)] {
        try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0
            return try Row.fetchAll(db, sql: "SELECT * FROM scrubCursor ORDER BY place").compactMap { row in
                guard let started = try? Self.timestamp.parse(row["passStartedAt"]) else { return nil }
                let cursor = ScrubCursor(place: row["place"], passStartedAt: started, lastVersion: row["lastVersion"], checkedBytes: row["checkedBytes"],
                                         completedPasses: row["completedPasses"],
                                         lastPassEndedAt: (row["lastPassEndedAt"] as String?).flatMap { try? Self.timestamp.parse($0) })
                let covered = try Int.fetchOne(db, sql: "SELECT count(*) FROM version WHERE id <= ?", arguments: [cursor.lastVersion]) ?? 0
                return (cursor, total == 0 ? 100 : Double(covered) * 100 / Double(total))
            }
        }
    }
}

extension Catalog {
    /// The newest integrity finding's id (0 when none): where an alert monitor starts reading.
    public func lastFindingID() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM integrityFinding") ?? 0 }
    }
}
