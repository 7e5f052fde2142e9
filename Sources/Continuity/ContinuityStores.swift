import GRDB

/// The tables Continuity keeps in the node's database beside the catalog, each behind its
/// store: opened together on the shared pool (their migrations run, under the names the
/// catalog once gave them) by whoever composes the node.
public struct ContinuityStores: Sendable {
    public let alerts: any AlertStore
    public let downtimes: any DowntimeStore

    public init(pool: DatabasePool) throws {
        alerts = try SQLiteAlertStore(pool: pool)
        downtimes = try SQLiteDowntimeStore(pool: pool)
    }

    public init(alerts: any AlertStore, downtimes: any DowntimeStore) {
        self.alerts = alerts
        self.downtimes = downtimes
    }
}
