import Foundation
import GRDB

/// Where an instance version came from.
public struct Provenance: Sendable, Equatable {
    public enum Source: String, Sendable {
        case dimse, `import`, stow, recovered, rebuild, replica, restored
    }

    public var source: Source
    public var receivedAt: Date
    public var callingAETitle: String
    public var calledAETitle: String
    public var peerAddress: String

    public init(source: Source, receivedAt: Date = Date(), callingAETitle: String = "", calledAETitle: String = "", peerAddress: String = "") {
        self.source = source
        self.receivedAt = receivedAt
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.peerAddress = peerAddress
    }
}

/// One stored blob to record as a version of an instance.
public struct CatalogEntry: Sendable, Equatable {
    public var attributes: InstanceAttributes
    public var blob: BlobID
    public var size: Int
    public var transferSyntaxUID: String
    public var provenance: Provenance
    /// The header as queries see it (`QueryHeader`); kept for the first instance of a series.
    public var queryHeader: [UInt8]
    /// Why the data set is not whole (`StructureCheck`), for a damaged copy kept on purpose;
    /// nil for an intact one. A damaged version never becomes current over an intact one.
    public var problem: String?

    public init(attributes: InstanceAttributes, blob: BlobID, size: Int, transferSyntaxUID: String, provenance: Provenance,
                queryHeader: [UInt8] = [], problem: String? = nil) {
        self.attributes = attributes
        self.blob = blob
        self.size = size
        self.transferSyntaxUID = transferSyntaxUID
        self.provenance = provenance
        self.queryHeader = queryHeader
        self.problem = problem
    }
}

/// What recording an entry did (zero-loss invariant 2: nothing is replaced).
public enum RecordOutcome: Sendable, Equatable {
    /// A new instance.
    case stored
    /// A known instance with other bytes: kept as this version number beside the earlier ones
    /// (and made current unless it is damaged and the current one is not).
    case newVersion(Int)
    /// A known instance with the same bytes, already recorded as this version: nothing changed.
    case duplicate(version: Int)
}

/// A stored version of an instance, as the catalog lists it.
public struct VersionRecord: Sendable, Equatable {
    public var number: Int
    public var blob: BlobID
    public var size: Int
    public var transferSyntaxUID: String
    public var receivedAt: String
    public var source: String
    public var callingAETitle: String
    /// Why it is not whole, for a damaged copy kept on purpose.
    public var problem: String?
}

/// The catalog: an SQLite database in WAL mode with synchronous=FULL, so a committed
/// transaction survives a crash or power loss.
public struct Catalog: Sendable {
    public let path: String
    /// The node's database: the catalog's tables, and those of the stores the other
    /// components keep beside it (each with its own migrations).
    public let pool: DatabasePool
    /// Rung when versions were recorded: replication's workers wait on it for new work.
    public let recordedBell = Doorbell()

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A large catalog's index pages stay in memory: inserting into the unique indexes
            // of a million instances otherwise reads pages back for every row.
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        configuration.busyMode = .timeout(30)
        self.path = path
        pool = try DatabasePool(path: path, configuration: configuration)
        try CatalogSchema.migrator.migrate(pool)
    }

    /// How times are written in the node's database: the catalog's tables and the other
    /// components' alike, so that each reads what the others wrote.
    public static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Records entries in one transaction — one fsync for all of them — and says what
    /// each one did. Its statements are prepared once per connection (`cachedStatement`). Entries for the same instance in one call are recorded in order.
    public func record(_ entries: [CatalogEntry]) async throws -> [RecordOutcome] {
        let outcomes = try await pool.write { db in try entries.map { try Self.record($0, in: db) } }
        if outcomes.contains(where: { if case .duplicate = $0 { false } else { true } }) { recordedBell.ring() }
        return outcomes
    }

    static func record(_ entry: CatalogEntry, in db: Database) throws -> RecordOutcome {
        let a = entry.attributes
        if let instance = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, currentVersion FROM instance WHERE sopInstanceUID = ?"), arguments: [a.sopInstanceUID]) {
            let instanceID: Int64 = instance["id"]
            if let same = try Int.fetchOne(db.cachedStatement(sql: "SELECT number FROM version WHERE instanceRef = ? AND blobHash = ?"),
                                           arguments: [instanceID, entry.blob.hex]) {
                return .duplicate(version: same)
            }
            let number = (try Int.fetchOne(db.cachedStatement(sql: "SELECT max(number) FROM version WHERE instanceRef = ?"), arguments: [instanceID]) ?? 0) + 1
            try insertVersion(entry, instance: instanceID, number: number, in: db)
            // A damaged copy never hides an intact one: it becomes current only over another damaged one.
            let currentIsDamaged = try Bool.fetchOne(db.cachedStatement(sql: "SELECT problem IS NOT NULL FROM version WHERE instanceRef = ? AND number = ?"),
                                                     arguments: [instanceID, instance["currentVersion"] as Int]) ?? false
            if entry.problem == nil || currentIsDamaged {
                try db.cachedStatement(sql: Statements.currentVersion).execute(
                    arguments: Statements.arguments(Statements.instanceAttributes.dropFirst(), of: a, after: [number], then: instanceID))
            }
            return .newVersion(number)
        }
        let received = timestamp.format(entry.provenance.receivedAt)
        let patientID = try Int64.fetchOne(db.cachedStatement(sql: Statements.patient),
                                           arguments: Statements.arguments(Statements.patientAttributes, of: a, then: PatientKey.of(a)))!
        let studyID = try Int64.fetchOne(db.cachedStatement(sql: Statements.study),
                                         arguments: Statements.arguments(Statements.studyAttributes, of: a, then: patientID, received))!
        var seriesID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM series WHERE seriesInstanceUID = ?"), arguments: [a.seriesInstanceUID])
        if seriesID == nil {
            seriesID = try Int64.fetchOne(db.cachedStatement(sql: Statements.series), arguments: Statements.arguments(
                Statements.seriesAttributes, of: a, then: studyID, entry.queryHeader.isEmpty ? nil : Data(entry.queryHeader)))
            // PS3.4 C.6.1.1.5: Modalities in Study lists the distinct modalities of its series.
            try db.cachedStatement(sql: """
                UPDATE study SET numberOfSeries = numberOfSeries + 1,
                    modalitiesInStudy = (SELECT ifnull(replace(group_concat(DISTINCT modality), ',', '\\'), '')
                                         FROM (SELECT modality FROM series WHERE studyRef = ?1 AND modality != '' ORDER BY modality))
                WHERE id = ?1
                """).execute(arguments: [studyID])
        }
        let instanceID = try Int64.fetchOne(db.cachedStatement(sql: Statements.instance),
                                            arguments: Statements.arguments(Statements.instanceAttributes, of: a, then: seriesID))!
        try insertVersion(entry, instance: instanceID, number: 1, in: db)
        try db.cachedStatement(sql: "UPDATE series SET numberOfInstances = numberOfInstances + 1 WHERE id = ?").execute(arguments: [seriesID])
        try db.cachedStatement(sql: "UPDATE study SET numberOfInstances = numberOfInstances + 1 WHERE id = ?").execute(arguments: [studyID])
        return .stored
    }

    private static func insertVersion(_ entry: CatalogEntry, instance: Int64, number: Int, in db: Database) throws {
        let p = entry.provenance
        let received = timestamp.format(p.receivedAt)
        try db.cachedStatement(sql: """
            INSERT INTO version (instanceRef, number, blobHash, size, transferSyntaxUID, sopClassUID, receivedAt, source,
                                 callingAETitle, calledAETitle, peerAddress, problem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [instance, number, entry.blob.hex, entry.size, entry.transferSyntaxUID, entry.attributes.sopClassUID,
                                     received, p.source.rawValue, p.callingAETitle, p.calledAETitle, p.peerAddress, entry.problem])
        // Replication's trigger (SQLiteReplicationStore) owes it to the active targets, in this transaction.
    }

    /// Every version of an instance, oldest first; empty if it is unknown.
    public func versions(of sopInstanceUID: String) async throws -> [VersionRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.* FROM version v JOIN instance i ON v.instanceRef = i.id WHERE i.sopInstanceUID = ? ORDER BY v.number
                """, arguments: [sopInstanceUID]).map { row in
                VersionRecord(number: row["number"], blob: BlobID(hex: row["blobHash"])!, size: row["size"],
                              transferSyntaxUID: row["transferSyntaxUID"], receivedAt: row["receivedAt"], source: row["source"],
                              callingAETitle: row["callingAETitle"], problem: row["problem"])
            }
        }
    }

    /// Those of `blobs` a version is stored in: one read, however many are asked about.
    public func referenced(among blobs: some Collection<BlobID> & Sendable) async throws -> Set<BlobID> {
        guard !blobs.isEmpty else { return [] }
        return try await pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM version WHERE blobHash = ?)")
            return Set(try blobs.filter { try Bool.fetchOne(statement, arguments: [$0.hex]) ?? false })
        }
    }

    /// The blobs versions are stored in whose names start with `prefix`, for comparing
    /// with a blob store one shard at a time.
    public func blobs(withPrefix prefix: String) async throws -> Set<BlobID> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT blobHash FROM version WHERE blobHash >= ? AND blobHash < ?",
                                    arguments: [prefix, prefix + "g"]).compactMap(BlobID.init(hex:)))
        }
    }

    public struct Counts: Sendable, Equatable {
        public var patients, studies, series, instances, versions: Int
    }

    public func counts() async throws -> Counts {
        try await pool.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            return Counts(patients: try count("patient"), studies: try count("study"), series: try count("series"),
                          instances: try count("instance"), versions: try count("version"))
        }
    }
}
