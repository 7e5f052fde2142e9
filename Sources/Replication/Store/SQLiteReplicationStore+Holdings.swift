import Archive
import Foundation
import GRDB

extension SQLiteReplicationStore {
    /// `count` studies picked at random among those with a version `target` confirmed.
    public func drillStudies(target: String, count: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT s.studyInstanceUID FROM study s WHERE EXISTS (
                    SELECT 1 FROM series r JOIN instance i ON i.seriesRef = r.id JOIN version v ON v.instanceRef = i.id
                         JOIN replica x ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id
                    WHERE r.studyRef = s.id AND t.name = ?)
                ORDER BY random() LIMIT ?
                """, arguments: [target, count])
        }
    }

    /// The versions `target` confirmed of these studies, and of every study received since
    /// `since` when given.
    public func drillItems(target: String, studies: [String], receivedSince since: Date?) async throws -> [DrillItem] {
        try await pool.read { db in
            let marks = Array(repeating: "?", count: studies.count).joined(separator: ",")
            var conditions = studies.isEmpty ? [] : ["s.studyInstanceUID IN (\(marks))"]
            var arguments: [any DatabaseValueConvertible] = [target] + studies
            if let since {
                conditions.append("v.receivedAt >= ?")
                arguments.append(Self.timestamp.format(since))
            }
            guard !conditions.isEmpty else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT v.blobHash, v.size, s.studyInstanceUID
                FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
                     JOIN replica x ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id
                WHERE t.name = ? AND (\(conditions.joined(separator: " OR "))) ORDER BY v.id
                """, arguments: StatementArguments(arguments)).compactMap { row in
                BlobID(hex: row["blobHash"]).map { DrillItem(blob: $0, size: row["size"], studyInstanceUID: row["studyInstanceUID"]) }
            }
        }
    }

    /// How many versions received since `since` (all when nil) `target` confirmed, and their bytes.
    public func confirmedTotals(target: String, receivedSince since: Date?) async throws -> (versions: Int, bytes: Int64) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS n, coalesce(sum(v.size), 0) AS bytes
                FROM version v JOIN replica x ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id
                WHERE t.name = ? AND v.receivedAt >= ?
                """, arguments: [target, since.map { Self.timestamp.format($0) } ?? ""])
            return (row?["n"] ?? 0, row?["bytes"] ?? 0)
        }
    }

    /// The targets that have confirmed a copy of this blob.
    public func replicaTargets(of blob: BlobID) async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT t.name FROM replica x JOIN version v ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id
                WHERE v.blobHash = ?
                """, arguments: [blob.hex]))
        }
    }

    public func scrubItems(after versionID: Int64, limit: Int, replicatedTo target: String) async throws -> [ScrubItem] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                \(ScrubItem.selection) WHERE v.id > ?
                    AND EXISTS (SELECT 1 FROM replica x JOIN replicationTarget t ON x.targetRef = t.id WHERE x.versionRef = v.id AND t.name = ?)
                ORDER BY v.id LIMIT ?
                """, arguments: [versionID, target, limit]).compactMap(ScrubItem.init(row:))
        }
    }

    public func scrubTotals(replicatedTo target: String) async throws -> (versions: Int, bytes: Int) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS n, coalesce(sum(v.size), 0) AS bytes FROM version v
                JOIN replica x ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id WHERE t.name = ?
                """, arguments: [target])
            return (row?["n"] ?? 0, row?["bytes"] ?? 0)
        }
    }
}
