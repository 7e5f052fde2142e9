import Archive
import Logging

/// Replication for a node: makes the configured targets the active ones (a new target is
/// owed a backfill of everything stored), then drains each one's outbox on a worker of its
/// own until cancelled.
public struct Replicator: Sendable {
    public let targets: [any ReplicationTarget]
    let catalog: Catalog
    let blobs: any BlobStore
    let logger: Logger
    var batchSize = 32
    /// Told of what each target confirms: synchronous mode's quorum waits on it.
    let quorum: SyncQuorum?

    public init(targets: [any ReplicationTarget], catalog: Catalog, blobs: any BlobStore, quorum: SyncQuorum? = nil,
                logger: Logger = Logger(label: "lifeboat.replication")) {
        self.targets = targets
        self.catalog = catalog
        self.blobs = blobs
        self.quorum = quorum
        self.logger = logger
    }

    /// Activates the targets, then drains their outboxes until the task is cancelled.
    public func run() async throws {
        try await activate()
        await drain()
    }

    /// Makes the configured targets the active ones; a new one is owed a backfill.
    public func activate() async throws {
        let owed = try await catalog.activateReplicationTargets(targets.map(\.name))
        for (name, count) in owed.sorted(by: { $0.key < $1.key }) where count > 0 {
            logger.notice("backfilling a target: everything it does not hold yet, newest study first", metadata: ["target": "\(name)", "versions": "\(count)"])
        }
    }

    /// A worker per target until the task is cancelled; returns at once without targets.
    public func drain() async {
        await withTaskGroup(of: Void.self) { group in
            for target in targets {
                let quorum = self.quorum
                let worker = ReplicationWorker(target: target, catalog: catalog, blobs: blobs, batchSize: batchSize, logger: logger) { items in
                    quorum?.confirmed(items.map(\.blob), at: target.name)
                }
                group.addTask { await worker.run() }
            }
        }
    }
}
