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
    /// How many versions there are, and how many of them have an id up to each of `ids`: the
    /// share of a place's pass a scrub cursor has covered.
    public func versionCounts(upTo ids: [Int64]) async throws -> (total: Int, upTo: [Int]) {
        try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0
            return (total, try ids.map { try Int.fetchOne(db, sql: "SELECT count(*) FROM version WHERE id <= ?", arguments: [$0]) ?? 0 })
        }
    }
}
