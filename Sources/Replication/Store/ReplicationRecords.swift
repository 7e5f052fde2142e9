import Archive
import Foundation

/// A version a replication target is owed, with what sending it needs.
public struct OutboxItem: Sendable, Equatable {
    public var id: Int64
    public var versionID: Int64
    public var blob: BlobID
    public var size: Int
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var studyInstanceUID: String
    public var attempts: Int
    public var enqueuedAt: String
}

/// What a target holds of a study, written beside its blobs so that the archive can be
/// rebuilt from the target alone (zero-loss invariant 4). JSON, documented in the README.
public struct StudyManifest: Codable, Sendable, Equatable {
    public struct Instance: Codable, Sendable, Equatable {
        public var sopInstanceUID: String
        public var seriesInstanceUID: String
        public var sopClassUID: String
        public var version: Int
        public var sha256: String
        public var size: Int
        public var transferSyntaxUID: String
        public var receivedAt: String
    }

    public var studyInstanceUID: String
    public var patientID: String
    public var patientName: String
    public var studyDate: String
    public var accessionNumber: String
    public var lastReceivedAt: String
    public var instances: [Instance]
}

/// How replication to one target stands.
public struct ReplicationTargetStatus: Codable, Sendable, Equatable {
    public var name: String
    public var active: Bool
    /// Versions not yet at the target that will be retried.
    public var queueDepth: Int
    /// Versions that failed in a way retrying cannot cure: kept, shown, never dropped.
    public var permanentFailures: Int
    /// Since when the target has been owed something: the oldest live version not yet there
    /// (or the start of a backfill).
    public var oldestUnreplicatedAt: String?
    /// How many seconds of acquisitions the target would lack if this site were lost now —
    /// the live recovery point; 0 when it owes nothing.
    public var recoveryPointSeconds: Double
    public var replicatedLastMinute: Int
    public var lastSuccessAt: String?
    public var lastError: String?
    public var lastErrorAt: String?
    public var lastSnapshotAt: String?
}

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

/// A version a drill reads back from a target.
public struct DrillItem: Sendable, Equatable {
    public var blob: BlobID
    public var size: Int
    public var studyInstanceUID: String
}

