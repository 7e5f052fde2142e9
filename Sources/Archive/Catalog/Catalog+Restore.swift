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

    public init(blob: BlobID, size: Int, studyInstanceUID: String, patientID: String, receivedAt: Date, studyLastReceivedAt: Date) {
        self.blob = blob
        self.size = size
        self.studyInstanceUID = studyInstanceUID
        self.patientID = patientID
        self.receivedAt = receivedAt
        self.studyLastReceivedAt = studyLastReceivedAt
    }

    /// 0 for a named patient's or study's, 1 for one received since `recentSince`, 2 for the rest.
    public func turn(recentSince: Date, first named: Set<String>) -> Int {
        if named.contains(studyInstanceUID) || named.contains(patientID) { return 0 }
        return receivedAt >= recentSince ? 1 : 2
    }

    /// In the order a restore brings them back: by turn, then newest study first.
    public static func ordered(_ items: [RestoreItem], recentSince: Date, first named: Set<String>) -> [RestoreItem] {
        items.sorted { a, b in
            let (ta, tb) = (a.turn(recentSince: recentSince, first: named), b.turn(recentSince: recentSince, first: named))
            if ta != tb { return ta < tb }
            if a.studyLastReceivedAt != b.studyLastReceivedAt { return a.studyLastReceivedAt > b.studyLastReceivedAt }
            return a.receivedAt > b.receivedAt
        }
    }
}

/// Where a restore's walk through the catalog, newest study first, has got to.
public struct RestoreCursor: Sendable, Equatable {
    let lastReceivedAt: String
    let study: Int64
}

extension Catalog {
    /// The versions not due first (those `urgentRestoreItems` leaves) of the next `studies`
    /// studies after `cursor`, newest study first, and the cursor past them (nil at the end):
    /// a restore walks the catalog a page at a time, holding no more of it than one page.
    public func restorePage(after cursor: RestoreCursor?, studies: Int, recentSince: Date,
                            first named: Set<String> = []) async throws -> (items: [RestoreItem], next: RestoreCursor?) {
        try await pool.read { db in
            // A seek into the index on lastReceivedAt (which holds each row's id too), not a
            // scan from the newest: each page costs the same however far the walk has got.
            let page = try Row.fetchAll(db, sql: """
                SELECT id, lastReceivedAt FROM study
                \(cursor == nil ? "" : "WHERE lastReceivedAt <= ?1 AND (lastReceivedAt < ?1 OR id < ?2)")
                ORDER BY lastReceivedAt DESC, id DESC LIMIT ?3
                """, arguments: [cursor?.lastReceivedAt, cursor?.study, studies])
            guard let last = page.last else { return ([], nil) }
            let ids: [Int64] = page.map { $0["id"] }
            // From each study down to its versions (CROSS JOIN fixes the order).
            let items = try Self.restoreItems(db, from: """
                study s CROSS JOIN series r ON r.studyRef = s.id CROSS JOIN instance i ON i.seriesRef = r.id
                CROSS JOIN version v ON v.instanceRef = i.id JOIN patient p ON s.patientRef = p.id
                """, where: "s.id IN (\(databaseQuestionMarks(count: ids.count)))", StatementArguments(ids))
            return (RestoreItem.ordered(items.filter { $0.turn(recentSince: recentSince, first: named) == 2 }, recentSince: recentSince, first: named),
                    RestoreCursor(lastReceivedAt: last["lastReceivedAt"], study: last["id"]))
        }
    }

    /// Only the versions that go first — the named patients' and studies', and those received
    /// since `recentSince` — found through indexes, so that finding them takes no longer in a
    /// large archive than in a small one.
    public func urgentRestoreItems(recentSince: Date, first named: Set<String> = []) async throws -> [RestoreItem] {
        let items = try await pool.read { db in
            var items = try Self.restoreItems(db, where: "v.receivedAt >= ?", [Self.timestamp.format(recentSince)])
            if !named.isEmpty {
                let names = Array(named), marks = databaseQuestionMarks(count: names.count)
                items += try Self.restoreItems(db, where: "s.studyInstanceUID IN (\(marks)) OR p.patientID IN (\(marks))",
                                               StatementArguments(names + names))
            }
            return items
        }
        var seen = Set<BlobID>()
        return RestoreItem.ordered(items.filter { seen.insert($0.blob).inserted }, recentSince: recentSince, first: named)
    }

    private static func restoreItems(_ db: Database, from tables: String = """
        version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id
             JOIN study s ON r.studyRef = s.id JOIN patient p ON s.patientRef = p.id
        """, where condition: String, _ arguments: StatementArguments) throws -> [RestoreItem] {
        try Row.fetchAll(db, sql: """
            SELECT v.blobHash, v.size, v.receivedAt, s.studyInstanceUID, s.lastReceivedAt, p.patientID
            FROM \(tables)
            WHERE \(condition)
            """, arguments: arguments).compactMap { row -> RestoreItem? in
            guard let blob = BlobID(hex: row["blobHash"]), let received = try? timestamp.parse(row["receivedAt"]),
                  let last = try? timestamp.parse(row["lastReceivedAt"]) else { return nil }
            return RestoreItem(blob: blob, size: row["size"], studyInstanceUID: row["studyInstanceUID"], patientID: row["patientID"],
                               receivedAt: received, studyLastReceivedAt: last)
        }
    }
}

extension Catalog {
    /// A consistent copy of the whole database — the catalog and the stores beside it — at
    /// `path` (SQLite's VACUUM INTO, from a read connection: ingest goes on meanwhile). `path`
    /// must not exist yet. What a restore starts from.
    public func snapshot(to path: String) async throws {
        try await pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
    }
}
