import GRDB
import Protection
import Replication

/// The tables Continuity keeps (alerts, downtimes, drills, commitment transactions) in the
/// node's database beside the catalog, each behind its store, and Protection's integrity
/// store and Replication's store, which the alerts, drills and operations page read: opened together on the shared pool
/// (their migrations run, under the names the catalog once gave them) by whoever composes
/// the node.
public struct ContinuityStores: Sendable {
    public let alerts: any AlertStore
    public let downtimes: any DowntimeStore
    public let drills: any DrillStore
    public let commitments: any CommitmentStore
    /// Protection's: the scrub's cursors and findings.
    public let integrity: any IntegrityStore
    /// Replication's: targets, outboxes and what each target confirmed.
    public let replication: any ReplicationStore

    public init(pool: DatabasePool) throws {
        alerts = try SQLiteAlertStore(pool: pool)
        downtimes = try SQLiteDowntimeStore(pool: pool)
        drills = try SQLiteDrillStore(pool: pool)
        commitments = try SQLiteCommitmentStore(pool: pool)
        integrity = try SQLiteIntegrityStore(pool: pool)
        replication = try SQLiteReplicationStore(pool: pool)
    }

    public init(alerts: any AlertStore, downtimes: any DowntimeStore, drills: any DrillStore, commitments: any CommitmentStore,
                integrity: any IntegrityStore, replication: any ReplicationStore) {
        self.alerts = alerts
        self.downtimes = downtimes
        self.drills = drills
        self.commitments = commitments
        self.integrity = integrity
        self.replication = replication
    }
}
