import Archive
import Foundation
import GRDB

/// Replication's tables (targets, outbox, replicas, stale manifests) in the node's SQLite
/// database, beside the catalog. They point at the catalog's versions and studies and read
/// them in joins; they never write the catalog's tables.
public struct SQLiteReplicationStore: ReplicationStore {
    let pool: DatabasePool
    static var timestamp: Date.ISO8601FormatStyle { Catalog.timestamp }

    /// Makes the tables on `pool` if they are not there yet, under the migrations' names from
    /// when the catalog made them, so that an existing database is left as it is.
    public init(pool: DatabasePool) throws {
        try SharedDatabase.migrate(pool, [
            "3: replication outbox": """
                -- A replication target this catalog has known; only active ones get new work.
                CREATE TABLE replicationTarget (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    active INTEGER NOT NULL DEFAULT 1,
                    addedAt TEXT NOT NULL,
                    lastSuccessAt TEXT,
                    lastError TEXT,
                    lastErrorAt TEXT
                );
                -- A version not yet confirmed at a target. Written in the same transaction as the
                -- version itself, so nothing acknowledged can be forgotten; deleted once the target
                -- has it. `rank` orders the work: live versions first, oldest first (rank = the
                -- millisecond they arrived), then a backfill, newest study first (2e14 - the
                -- study's last arrival).
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY,
                    targetRef INTEGER NOT NULL REFERENCES replicationTarget (id),
                    versionRef INTEGER NOT NULL REFERENCES version (id),
                    rank INTEGER NOT NULL,
                    enqueuedAt TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    lastError TEXT,
                    -- Set for an error that retrying cannot cure: kept and shown, never dropped.
                    permanent INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (targetRef, versionRef)
                );
                CREATE INDEX outbox_next ON outbox (targetRef, permanent, rank);
                -- A version a target has confirmed, and when.
                CREATE TABLE replica (
                    targetRef INTEGER NOT NULL REFERENCES replicationTarget (id),
                    versionRef INTEGER NOT NULL REFERENCES version (id),
                    replicatedAt TEXT NOT NULL,
                    PRIMARY KEY (targetRef, versionRef)
                ) WITHOUT ROWID;
                CREATE INDEX replica_time ON replica (targetRef, replicatedAt);
                -- Studies whose manifest at a target is behind what the target holds.
                CREATE TABLE staleManifest (
                    targetRef INTEGER NOT NULL REFERENCES replicationTarget (id),
                    studyRef INTEGER NOT NULL REFERENCES study (id),
                    PRIMARY KEY (targetRef, studyRef)
                ) WITHOUT ROWID;
                """,
            "4: catalog snapshots at targets": "ALTER TABLE replicationTarget ADD COLUMN lastSnapshotAt TEXT",
            "6: change log shipped to targets": """
                -- How far each target's change log goes: the last confirmation shipped (its time and version).
                ALTER TABLE replicationTarget ADD COLUMN changeLogAt TEXT;
                ALTER TABLE replicationTarget ADD COLUMN changeLogVersion INTEGER;
                """,
            // Until this one the catalog wrote the outbox rows itself, in the same transaction.
            "13: versions owed to the active targets as they are recorded": """
                -- In the transaction that records a version, so nothing acknowledged can be
                -- forgotten: owed to every active target, ranked by the millisecond it arrived.
                CREATE TRIGGER version_owed_to_targets AFTER INSERT ON version BEGIN
                    INSERT INTO outbox (targetRef, versionRef, rank, enqueuedAt)
                    SELECT id, NEW.id,
                           CAST(strftime('%s', NEW.receivedAt) AS INTEGER) * 1000 + CAST(substr(strftime('%f', NEW.receivedAt), 4, 3) AS INTEGER),
                           NEW.receivedAt
                    FROM replicationTarget WHERE active = 1;
                END;
                -- A version a catalog recorded with this release before the trigger was here
                -- (the catalog opened alone, by a command) is owed now.
                INSERT OR IGNORE INTO outbox (targetRef, versionRef, rank, enqueuedAt)
                SELECT t.id, v.id,
                       CAST(strftime('%s', v.receivedAt) AS INTEGER) * 1000 + CAST(substr(strftime('%f', v.receivedAt), 4, 3) AS INTEGER),
                       v.receivedAt
                FROM replicationTarget t JOIN version v
                WHERE t.active = 1 AND NOT EXISTS (SELECT 1 FROM replica x WHERE x.targetRef = t.id AND x.versionRef = v.id);
                """,
        ])
        self.pool = pool
    }
}

extension SQLiteReplicationStore {
    /// Makes `names` the active replication targets and the others inactive. A target that is
    /// new, or active again, is owed every version it does not hold: a backfill, newest study
    /// first. Returns how many versions each target was newly owed.
    @discardableResult
    public func activateReplicationTargets(_ names: [String], at date: Date) async throws -> [String: Int] {
        let now = Self.timestamp.format(date)
        return try await pool.write { db in
            var owed: [String: Int] = [:]
            let known = try Row.fetchAll(db, sql: "SELECT id, name, active FROM replicationTarget")
            for row in known where !names.contains(row["name"]) {
                try db.execute(sql: "UPDATE replicationTarget SET active = 0 WHERE id = ?", arguments: [row["id"] as Int64])
            }
            for name in names {
                let existing = known.first { $0["name"] == name }
                if let existing, existing["active"] as Int == 1 { continue }
                let id: Int64
                if let existing {
                    id = existing["id"]
                    try db.execute(sql: "UPDATE replicationTarget SET active = 1 WHERE id = ?", arguments: [id])
                } else {
                    try db.execute(sql: "INSERT INTO replicationTarget (name, addedAt) VALUES (?, ?)", arguments: [name, now])
                    id = db.lastInsertedRowID
                }
                try db.execute(sql: """
                    INSERT OR IGNORE INTO outbox (targetRef, versionRef, rank, enqueuedAt)
                    SELECT ?1, v.id, 200000000000000 - CAST((julianday(s.lastReceivedAt) - 2440587.5) * 86400000 AS INTEGER), ?2
                    FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
                    WHERE NOT EXISTS (SELECT 1 FROM replica WHERE targetRef = ?1 AND versionRef = v.id)
                    """, arguments: [id, now])
                owed[name] = db.changesCount
            }
            return owed
        }
    }

    /// The next versions owed to `target`, in rank order (live first, then the backfill), at
    /// most `limit`, leaving out those in `excluding` (in flight) and those failed for good.
    public func nextOutboxItems(target: String, limit: Int, excluding inFlight: Set<Int64>) async throws -> [OutboxItem] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.id, o.versionRef, o.attempts, o.enqueuedAt, v.blobHash, v.size, v.sopClassUID, v.transferSyntaxUID,
                       i.sopInstanceUID, s.studyInstanceUID
                FROM outbox o JOIN version v ON o.versionRef = v.id JOIN instance i ON v.instanceRef = i.id
                     JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id
                WHERE o.targetRef = (SELECT id FROM replicationTarget WHERE name = ?) AND o.permanent = 0
                ORDER BY o.rank LIMIT ?
                """, arguments: [target, limit + inFlight.count]).compactMap { row -> OutboxItem? in
                let id: Int64 = row["id"]
                guard !inFlight.contains(id), let blob = BlobID(hex: row["blobHash"]) else { return nil }
                return OutboxItem(id: id, versionID: row["versionRef"], blob: blob, size: row["size"], sopClassUID: row["sopClassUID"],
                                  sopInstanceUID: row["sopInstanceUID"], transferSyntaxUID: row["transferSyntaxUID"],
                                  studyInstanceUID: row["studyInstanceUID"], attempts: row["attempts"], enqueuedAt: row["enqueuedAt"])
            }.prefix(limit).map { $0 }
        }
    }

    /// The target confirmed these versions: they leave its outbox, are recorded as its
    /// replicas, and their studies' manifests there are due to be rewritten.
    public func confirmReplicas(target: String, items: [OutboxItem], at date: Date) async throws {
        guard !items.isEmpty else { return }
        try await pool.write { db in
            guard let targetID = try Int64.fetchOne(db, sql: "SELECT id FROM replicationTarget WHERE name = ?", arguments: [target]) else { return }
            let now = try Self.replicationTime(date, target: targetID, in: db)
            for item in items {
                try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?").execute(arguments: [item.id])
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO replica (targetRef, versionRef, replicatedAt) VALUES (?, ?, ?)")
                    .execute(arguments: [targetID, item.versionID, now])
                try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO staleManifest (targetRef, studyRef)
                    SELECT ?, r.studyRef FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id WHERE v.id = ?
                    """).execute(arguments: [targetID, item.versionID])
            }
            try db.execute(sql: "UPDATE replicationTarget SET lastSuccessAt = ? WHERE id = ?", arguments: [now, targetID])
        }
    }

    /// When confirmations committed now are recorded: `date`, or just after the target's
    /// latest one when that is not earlier. The change log ships a target's replicas in this
    /// time's order from a cursor; confirmations are committed one transaction at a time, so
    /// with each later than every one committed before it, none can commit behind a cursor
    /// already past its time — as one stamped before it waited for the write lock, or in the
    /// same millisecond with a lower version, could (the change log then lacked it for good).
    static func replicationTime(_ date: Date, target: Int64, in db: Database) throws -> String {
        var now = timestamp.format(date)
        guard let latest = try String.fetchOne(db, sql: "SELECT max(replicatedAt) FROM replica WHERE targetRef = ?", arguments: [target]),
              now <= latest, var moment = try? timestamp.parse(latest) else { return now }
        // A millisecond on (a little more: the format truncates).
        while now <= latest {
            moment = moment.addingTimeInterval(0.0006)
            now = timestamp.format(moment)
        }
        return now
    }

    /// A send to `target` failed: counted against the item (when there is one), kept as the
    /// target's last error, and — when `permanent` — the item is set aside until someone acts.
    public func recordReplicationFailure(target: String, item: OutboxItem?, error: String, permanent: Bool, at date: Date) async throws {
        let now = Self.timestamp.format(date)
        try await pool.write { db in
            if let item {
                try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, lastError = ?, permanent = ? WHERE id = ?",
                               arguments: [error, permanent, item.id])
            }
            try db.execute(sql: "UPDATE replicationTarget SET lastError = ?, lastErrorAt = ? WHERE name = ?", arguments: [error, now, target])
        }
    }

    /// Puts items failed for good back in the queue (after the cause was fixed); returns how many.
    public func retryPermanentFailures(target: String) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "UPDATE outbox SET permanent = 0 WHERE permanent = 1 AND targetRef = (SELECT id FROM replicationTarget WHERE name = ?)",
                           arguments: [target])
            return db.changesCount
        }
    }

    /// Every target's standing, as of `date`.
    public func replicationStatus(at date: Date) async throws -> [ReplicationTargetStatus] {
        let minuteAgo = Self.timestamp.format(date.addingTimeInterval(-60))
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.name, t.active, t.lastSuccessAt, t.lastError, t.lastErrorAt, t.lastSnapshotAt,
                       (SELECT count(*) FROM outbox WHERE targetRef = t.id AND permanent = 0) AS queued,
                       (SELECT count(*) FROM outbox WHERE targetRef = t.id AND permanent = 1) AS failed,
                       (SELECT min(enqueuedAt) FROM outbox WHERE targetRef = t.id) AS oldest,
                       (SELECT count(*) FROM replica WHERE targetRef = t.id AND replicatedAt >= ?) AS lastMinute
                FROM replicationTarget t ORDER BY t.name
                """, arguments: [minuteAgo]).map { row in
                let oldest: String? = row["oldest"]
                let since = oldest.flatMap { try? Self.timestamp.parse($0) }
                return ReplicationTargetStatus(name: row["name"], active: row["active"], queueDepth: row["queued"], permanentFailures: row["failed"],
                                        oldestUnreplicatedAt: oldest, recoveryPointSeconds: since.map { max(0, date.timeIntervalSince($0)) } ?? 0,
                                        replicatedLastMinute: row["lastMinute"],
                                        lastSuccessAt: row["lastSuccessAt"], lastError: row["lastError"], lastErrorAt: row["lastErrorAt"],
                                        lastSnapshotAt: row["lastSnapshotAt"])
            }
        }
    }
}
