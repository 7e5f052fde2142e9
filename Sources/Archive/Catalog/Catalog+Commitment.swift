import Foundation
import GRDB

/// A Storage Commitment report as the catalog keeps it (PS3.4 J.3.3): the instances a node
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

/// A commitment request this node made, as the catalog keeps it.
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

extension Catalog {
    /// Notes a request before it is sent, so that its report is taken whichever association it comes on.
    public func recordCommitmentRequest(transactionUID: String, node: String, instances: Int, at date: Date = Date()) async throws {
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

    /// Keeps a report, durably, if it answers a request of this node.
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

    /// The report of a transaction, once it has come.
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
