import Archive
import Foundation
import GRDB

/// A Storage Commitment report as it is kept (PS3.4 J.3.3): the instances a node
/// took responsibility for, and those it did not with the reason it gave.
public struct CommitmentReport: Sendable, Equatable, Codable {
    public struct Reference: Sendable, Equatable, Codable {
        public var sopClassUID: String
        public var sopInstanceUID: String

        public init(sopClassUID: String, sopInstanceUID: String) {
            self.sopClassUID = sopClassUID
            self.sopInstanceUID = sopInstanceUID
        }
    }

    public struct Failure: Sendable, Equatable, Codable {
        public var reference: Reference
        /// The Failure Reason (0008,1197).
        public var reason: UInt16

        public init(reference: Reference, reason: UInt16) {
            self.reference = reference
            self.reason = reason
        }
    }

    public var transactionUID: String
    /// The calling AE title of the association the report came on.
    public var reportedBy: String
    public var receivedAt: Date
    /// Whether it came on the association that carried the request.
    public var sameAssociation: Bool
    public var committed: [Reference]
    public var failed: [Failure]

    public init(transactionUID: String, reportedBy: String, receivedAt: Date = Date(), sameAssociation: Bool, committed: [Reference], failed: [Failure]) {
        self.transactionUID = transactionUID
        self.reportedBy = reportedBy
        self.receivedAt = receivedAt
        self.sameAssociation = sameAssociation
        self.committed = committed
        self.failed = failed
    }
}

/// A commitment request this node made, as it is kept.
public struct CommitmentRequestRecord: Sendable, Equatable {
    public var transactionUID: String
    public var node: String
    public var requestedAt: Date
    public var instances: Int
}

/// What recording a report did.
public enum CommitmentRecording: Sendable, Equatable {
    case recorded
    /// A report for this transaction was already kept: the first one stands (PS3.4 J.3.3.1.2:
    /// a transaction ends with its report).
    case duplicate
    /// No request of this node has this Transaction UID.
    case unknownTransaction
}

/// Where the Storage Commitment transactions this node opens are kept: each request before it
/// is sent, and its report whichever association it comes on (PS3.4 J.3.3), so that failback
/// confirms what the PACS took even when the report comes late or on a new association.
public protocol CommitmentStore: Sendable {
    /// Notes a request before it is sent, so that its report is taken whichever association it comes on.
    func recordCommitmentRequest(transactionUID: String, node: String, instances: Int, at date: Date) async throws
    func commitmentRequest(_ transactionUID: String) async throws -> CommitmentRequestRecord?
    /// Keeps a report, durably, if it answers a request of this node.
    func record(_ report: CommitmentReport) async throws -> CommitmentRecording
    /// The report of a transaction, once it has come.
    func commitmentReport(_ transactionUID: String) async throws -> CommitmentReport?
}

extension CommitmentStore {
    public func recordCommitmentRequest(transactionUID: String, node: String, instances: Int) async throws {
        try await recordCommitmentRequest(transactionUID: transactionUID, node: node, instances: instances, at: Date())
    }
}

/// The transactions in the node's SQLite database (tables `commitmentRequest` and
/// `commitmentReport`), beside the catalog.
public struct SQLiteCommitmentStore: CommitmentStore {
    let pool: DatabasePool

    /// Makes the tables on `pool` if they are not there yet, under the migration's name from
    /// when the catalog made them.
    public init(pool: DatabasePool) throws {
        try SharedDatabase.migrate(pool, [
            "10: storage commitment transactions": """
                -- A Storage Commitment request this node made (PS3.4 J.3.2): to which node, when,
                -- for how many instances. A report is taken only for a transaction listed here.
                CREATE TABLE commitmentRequest (
                    transactionUID TEXT PRIMARY KEY,
                    node TEXT NOT NULL,
                    requestedAt TEXT NOT NULL,
                    instances INTEGER NOT NULL
                ) WITHOUT ROWID;
                -- Its report (PS3.4 J.3.3), on the request's association or on one the node opened:
                -- who sent it, and the committed and failed instances (JSON lists; a failure with its reason).
                CREATE TABLE commitmentReport (
                    transactionUID TEXT PRIMARY KEY REFERENCES commitmentRequest (transactionUID),
                    reportedBy TEXT NOT NULL,
                    receivedAt TEXT NOT NULL,
                    sameAssociation INTEGER NOT NULL,
                    committed TEXT NOT NULL,
                    failed TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX commitmentRequest_node ON commitmentRequest (node, requestedAt);
                """,
        ])
        self.pool = pool
    }

    static let timestamp = Catalog.timestamp

    public func recordCommitmentRequest(transactionUID: String, node: String, instances: Int, at date: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO commitmentRequest (transactionUID, node, requestedAt, instances) VALUES (?, ?, ?, ?)",
                           arguments: [transactionUID, node, Self.timestamp.format(date), instances])
        }
    }

    public func commitmentRequest(_ transactionUID: String) async throws -> CommitmentRequestRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM commitmentRequest WHERE transactionUID = ?", arguments: [transactionUID]).flatMap { row in
                guard let at = try? Self.timestamp.parse(row["requestedAt"]) else { return nil }
                return CommitmentRequestRecord(transactionUID: row["transactionUID"], node: row["node"], requestedAt: at, instances: row["instances"])
            }
        }
    }

    public func record(_ report: CommitmentReport) async throws -> CommitmentRecording {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let committed = String(decoding: try encoder.encode(report.committed), as: UTF8.self)
        let failed = String(decoding: try encoder.encode(report.failed), as: UTF8.self)
        return try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM commitmentRequest WHERE transactionUID = ?)",
                                    arguments: [report.transactionUID]) == true else { return .unknownTransaction }
            try db.execute(sql: """
                INSERT INTO commitmentReport (transactionUID, reportedBy, receivedAt, sameAssociation, committed, failed)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (transactionUID) DO NOTHING
                """, arguments: [report.transactionUID, report.reportedBy, Self.timestamp.format(report.receivedAt), report.sameAssociation,
                                 committed, failed])
            return db.changesCount == 0 ? .duplicate : .recorded
        }
    }

    public func commitmentReport(_ transactionUID: String) async throws -> CommitmentReport? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM commitmentReport WHERE transactionUID = ?", arguments: [transactionUID]),
                  let at = try? Self.timestamp.parse(row["receivedAt"]) else { return nil }
            let decoder = JSONDecoder()
            return CommitmentReport(transactionUID: row["transactionUID"], reportedBy: row["reportedBy"], receivedAt: at,
                                    sameAssociation: row["sameAssociation"],
                                    committed: try decoder.decode([CommitmentReport.Reference].self, from: Data((row["committed"] as String).utf8)),
                                    failed: try decoder.decode([CommitmentReport.Failure].self, from: Data((row["failed"] as String).utf8)))
        }
    }
}
