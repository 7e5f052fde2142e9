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

    /// The query that reads scrub items, for a store to add its conditions to (`v` is the version).
    public static let selection = """
        SELECT v.id, v.blobHash, v.size, v.sopClassUID, v.transferSyntaxUID, i.sopInstanceUID, s.studyInstanceUID
        FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
        """

    /// A row of `selection`; nil when its blob hash is not one.
    public init?(row: Row) {
        guard let blob = BlobID(hex: row["blobHash"]) else { return nil }
        self.init(versionID: row["id"], blob: blob, size: row["size"], sopInstanceUID: row["sopInstanceUID"], sopClassUID: row["sopClassUID"],
                  transferSyntaxUID: row["transferSyntaxUID"], studyInstanceUID: row["studyInstanceUID"])
    }

    public init(versionID: Int64, blob: BlobID, size: Int, sopInstanceUID: String, sopClassUID: String, transferSyntaxUID: String,
                studyInstanceUID: String) {
        self.versionID = versionID
        self.blob = blob
        self.size = size
        self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID
        self.transferSyntaxUID = transferSyntaxUID
        self.studyInstanceUID = studyInstanceUID
    }
}

extension Catalog {
    /// Versions after `versionID`, in id order, at most `limit`: a scrub's pass over the local store.
    public func scrubItems(after versionID: Int64, limit: Int) async throws -> [ScrubItem] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "\(ScrubItem.selection) WHERE v.id > ? ORDER BY v.id LIMIT ?", arguments: [versionID, limit])
                .compactMap(ScrubItem.init(row:))
        }
    }

    /// How many versions and bytes a pass over the local store covers.
    public func scrubTotals() async throws -> (versions: Int, bytes: Int) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM version")
            return (row?["n"] ?? 0, row?["bytes"] ?? 0)
        }
    }

    /// How many versions there are, and how many of them have an id up to each of `ids`: the
    /// share of a place's pass a scrub cursor has covered.
    public func versionCounts(upTo ids: [Int64]) async throws -> (total: Int, upTo: [Int]) {
        try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0
            return (total, try ids.map { try Int.fetchOne(db, sql: "SELECT count(*) FROM version WHERE id <= ?", arguments: [$0]) ?? 0 })
        }
    }
}
