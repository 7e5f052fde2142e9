import Foundation
import GRDB

/// A version a restore has to bring back, and what decides its turn.
public struct RestoreItem: Sendable, Equatable {
    public var blob: BlobID
    public var size: Int
    public var studyInstanceUID: String
    public var patientID: String
    /// When the version was received: the last day's go first.
    public var receivedAt: Date
    public var studyLastReceivedAt: Date
}

extension Catalog {
    /// Every version in the order a restore brings them back: those of the named patients or
    /// studies first, then those received since `recentSince` (the last day), then the rest,
    /// newest study first.
    public func restoreOrder(recentSince: Date, first named: Set<String> = []) async throws -> [RestoreItem] {
        let items = try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.blobHash, v.size, v.receivedAt, s.studyInstanceUID, s.lastReceivedAt, p.patientID
                FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id
                     JOIN study s ON r.studyRef = s.id JOIN patient p ON s.patientRef = p.id
                """).compactMap { row -> RestoreItem? in
                guard let blob = BlobID(hex: row["blobHash"]), let received = try? Self.timestamp.parse(row["receivedAt"]),
                      let last = try? Self.timestamp.parse(row["lastReceivedAt"]) else { return nil }
                return RestoreItem(blob: blob, size: row["size"], studyInstanceUID: row["studyInstanceUID"], patientID: row["patientID"],
                                   receivedAt: received, studyLastReceivedAt: last)
            }
        }
        func turn(_ item: RestoreItem) -> Int {
            if named.contains(item.studyInstanceUID) || named.contains(item.patientID) { return 0 }
            return item.receivedAt >= recentSince ? 1 : 2
        }
        return items.sorted { a, b in
            let (ta, tb) = (turn(a), turn(b))
            if ta != tb { return ta < tb }
            if a.studyLastReceivedAt != b.studyLastReceivedAt { return a.studyLastReceivedAt > b.studyLastReceivedAt }
            return a.receivedAt > b.receivedAt
        }
    }
}
