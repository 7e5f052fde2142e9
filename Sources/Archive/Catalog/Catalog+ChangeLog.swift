import Foundation
import GRDB

/// One line of a target's change log: a version the target confirmed, with what a restore
/// needs to put it back in the catalog (the rest comes from the blob's own header).
/// JSON lines under `changes/` at the target, documented in the README.
public struct CatalogChange: Codable, Sendable, Equatable {
    public var sha256: String
    public var size: Int
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var patientID: String
    public var sopClassUID: String
    public var transferSyntaxUID: String
    public var version: Int
    public var receivedAt: String
    public var replicatedAt: String
}

/// Where a target's change log has got to: the last confirmation shipped.
public struct ChangeLogCursor: Sendable, Equatable {
    public var replicatedAt: String
    public var versionID: Int64
}

extension Catalog {
    /// Versions `target` confirmed after `cursor`, in the order it confirmed them, at most `limit`.
    public func confirmedChanges(target: String, after cursor: ChangeLogCursor?, limit: Int) async throws -> ([CatalogChange], ChangeLogCursor?) {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT x.replicatedAt, v.id, v.blobHash, v.size, v.sopClassUID, v.transferSyntaxUID, v.number, v.receivedAt,
                       i.sopInstanceUID, r.seriesInstanceUID, s.studyInstanceUID, p.patientID
                FROM replica x JOIN replicationTarget t ON x.targetRef = t.id JOIN version v ON x.versionRef = v.id
                     JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
                     JOIN patient p ON s.patientRef = p.id
                WHERE t.name = ? AND (x.replicatedAt > ? OR (x.replicatedAt = ? AND v.id > ?))
                ORDER BY x.replicatedAt, v.id LIMIT ?
                """, arguments: [target, cursor?.replicatedAt ?? "", cursor?.replicatedAt ?? "", cursor?.versionID ?? 0, limit])
            let changes = rows.map { row in
                CatalogChange(sha256: row["blobHash"], size: row["size"], sopInstanceUID: row["sopInstanceUID"], seriesInstanceUID: row["seriesInstanceUID"],
                              studyInstanceUID: row["studyInstanceUID"], patientID: row["patientID"], sopClassUID: row["sopClassUID"],
                              transferSyntaxUID: row["transferSyntaxUID"], version: row["number"], receivedAt: row["receivedAt"],
                              replicatedAt: row["replicatedAt"])
            }
            return (changes, rows.last.map { ChangeLogCursor(replicatedAt: $0["replicatedAt"], versionID: $0["id"]) } ?? cursor)
        }
    }

    public func changeLogCursor(target: String) async throws -> ChangeLogCursor? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT changeLogAt, changeLogVersion FROM replicationTarget WHERE name = ?", arguments: [target]),
                  let at = row["changeLogAt"] as String?, let version = row["changeLogVersion"] as Int64? else { return nil }
            return ChangeLogCursor(replicatedAt: at, versionID: version)
        }
    }

    public func save(_ cursor: ChangeLogCursor, target: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE replicationTarget SET changeLogAt = ?, changeLogVersion = ? WHERE name = ?",
                           arguments: [cursor.replicatedAt, cursor.versionID, target])
        }
    }
}
