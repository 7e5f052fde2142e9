import GRDB
import Protection

/// The tables Continuity keeps (alerts, downtimes, drills, commitment transactions) in the
/// node's database beside the catalog, each behind its store, and Protection's integrity
/// store, which the alerts and the operations page read: opened together on the shared pool
/// (their migrations run, under the names the catalog once gave them) by whoever composes
/// the node.
public struct ContinuityStores: Sendable {
    public let alerts: any AlertStore
    public let downtimes: any DowntimeStore
    public let drills: any DrillStore
    public let commitments: any CommitmentStore
    /// Protection's: the scrub's cursors and findings.
    public let integrity: any IntegrityStore

    public init(pool: DatabasePool) throws {
        alerts = try SQLiteAlertStore(pool: pool)
        downtimes = try SQLiteDowntimeStore(pool: pool)
        drills = try SQLiteDrillStore(pool: pool)
        commitments = try SQLiteCommitmentStore(pool: pool)
        integrity = try SQLiteIntegrityStore(pool: pool)
    }

    public init(alerts: any AlertStore, downtimes: any DowntimeStore, drills: any DrillStore, commitments: any CommitmentStore,
                integrity: any IntegrityStore) {
        self.alerts = alerts
        self.downtimes = downtimes
        self.drills = drills
        self.commitments = commitments
        self.integrity = integrity
    }
}
