import Archive
import Foundation
import Logging
import S3

/// Replication for a node: makes the configured targets the active ones (a new target is
/// owed a backfill of everything stored), then drains each one's outbox on a worker of its
/// own until cancelled.
public struct Replicator: Sendable {
    public let targets: [any ReplicationTarget]
    let catalog: Catalog
    let store: any ReplicationStore
    let blobs: any BlobStore
    let staging: String?
    let logger: Logger
    /// Told of what each target confirms: synchronous mode's quorum waits on it.
    let quorum: SyncQuorum?
    /// How often the catalog is copied to each target that keeps files, and where the copy
    /// is made first; nil: never.
    let snapshots: (every: Duration, scratch: String)?
    /// How long a worker waits after a target failed, growing while it keeps failing.
    let backoff: Backoff
    /// How often the audit log's head is copied to each target that keeps files (when it has
    /// grown), and where it is read; nil: never.
    let auditHeads: (every: Duration, current: @Sendable () -> ChainHead)?
    /// How often each target that keeps files gets the versions it confirmed since the last
    /// time, as a change log segment; nil: never.
    let changeLog: Duration?

    /// `staging`: where a blob the store keeps no file of goes, copied through the verified
    /// reader, for a target to send (nil: such a blob is set aside as unsendable).
    public init(targets: [any ReplicationTarget], catalog: Catalog, store: any ReplicationStore, blobs: any BlobStore, staging: String? = nil, quorum: SyncQuorum? = nil,
                snapshots: (every: Duration, scratch: String)? = nil, backoff: Backoff = Backoff(),
                auditHeads: (every: Duration, current: @Sendable () -> ChainHead)? = nil, changeLog: Duration? = nil,
                logger: Logger = Logger(label: "lifeboat.replication")) {
        self.auditHeads = auditHeads
        self.changeLog = changeLog
        self.targets = targets
        self.catalog = catalog
        self.store = store
        self.blobs = blobs
        self.staging = staging
        self.quorum = quorum
        self.snapshots = snapshots
        self.backoff = backoff
        self.logger = logger
    }

    /// Activates the targets, then drains their outboxes until the task is cancelled.
    public func run() async throws {
        try await activate()
        await drain()
    }

    /// Makes the configured targets the active ones; a new one is owed a backfill.
    public func activate() async throws {
        let owed = try await store.activateReplicationTargets(targets.map(\.name))
        for (name, count) in owed.sorted(by: { $0.key < $1.key }) where count > 0 {
            logger.notice("backfilling a target: everything it does not hold yet, newest study first", metadata: ["target": "\(name)", "versions": "\(count)"])
        }
    }

    /// A worker per target until the task is cancelled; returns at once without targets.
    public func drain() async {
        await withTaskGroup(of: Void.self) { group in
            if let snapshots, targets.contains(where: \.keepsManifests) {
                group.addTask { await copySnapshots(every: snapshots.every, scratch: snapshots.scratch) }
            }
            if let changeLog, targets.contains(where: \.keepsManifests) {
                group.addTask { await shipChanges(every: changeLog) }
            }
            if let auditHeads, targets.contains(where: \.keepsManifests) {
                group.addTask { await copyAuditHeads(every: auditHeads.every, current: auditHeads.current) }
            }
            for target in targets {
                let quorum = self.quorum
                let worker = ReplicationWorker(target: target, store: store, recorded: catalog.recordedBell, blobs: blobs, staging: staging, backoff: backoff, logger: logger) { items in
                    quorum?.confirmed(items.map(\.blob), at: target.name)
                }
                group.addTask { await worker.run() }
            }
        }
    }

    /// Copies the catalog to each target that keeps files once `every` has passed since its
    /// last copy (at once for one that never had one), checking once a minute.
    func copySnapshots(every interval: Duration, scratch: String) async {
        let seconds = Double(interval.components.seconds)
        while !Task.isCancelled {
            await copySnapshotsDue(olderThan: seconds, scratch: scratch)
            try? await Task.sleep(for: min(interval, .seconds(60)))
        }
    }

    /// Copies the audit head to every target that keeps files, at once and then whenever it
    /// has moved on, checking every `interval`; a target that failed is tried again next time.
    func copyAuditHeads(every interval: Duration, current: @Sendable () -> ChainHead) async {
        var copied: [String: ChainHead] = [:]
        while !Task.isCancelled {
            let head = current()
            for target in targets where target.keepsManifests && copied[target.name]?.hash != head.hash {
                do {
                    try await target.put(auditHead: head, name: TargetLayout.timeName(Date()) + ".json")
                    copied[target.name] = head
                } catch {
                    logger.warning("cannot copy the audit head; trying again later", metadata: ["target": "\(target.name)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Ships each target that keeps files the versions it confirmed since its last segment,
    /// every `interval`: with the catalog snapshots, what lets a restore rebuild the catalog
    /// as it stood at any moment, minutes behind at most.
    func shipChanges(every interval: Duration) async {
        while !Task.isCancelled {
            for target in targets where target.keepsManifests {
                do {
                    try await shipChanges(to: target)
                } catch {
                    logger.warning("cannot ship the change log; trying again later", metadata: ["target": "\(target.name)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    func shipChanges(to target: any ReplicationTarget) async throws {
        var cursor = try await store.changeLogCursor(target: target.name)
        while true {
            let (changes, next) = try await store.confirmedChanges(target: target.name, after: cursor, limit: 5000)
            guard let next, !changes.isEmpty else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var lines: [UInt8] = []
            for change in changes { lines += try encoder.encode(change) + [UInt8(ascii: "\n")] }
            try await target.put(changes: lines, name: "\(TargetLayout.timeName(Date()))-\(next.versionID).jsonl")
            try await store.save(next, target: target.name)
            cursor = next
        }
    }

    func copySnapshotsDue(olderThan seconds: Double, scratch: String) async {
        let now = Date()
        guard let last = try? await store.lastSnapshots() else { return }
        let due = targets.filter { target in
            target.keepsManifests && (last[target.name].flatMap { $0 }.map { now.timeIntervalSince($0) >= seconds } ?? true)
        }
        guard !due.isEmpty else { return }
        let name = TargetLayout.timeName(now) + ".sqlite"
        let path = "\(scratch)/catalog-\(name)"
        defer { unlink(path) }
        do {
            try await catalog.snapshot(to: path)
        } catch {
            logger.error("cannot snapshot the catalog", metadata: ["error": "\(error)"])
            return
        }
        for target in due {
            do {
                try await target.put(snapshot: path, name: name)
                try await store.snapshotWritten(target: target.name, at: now)
                logger.info("catalog snapshot copied", metadata: ["target": "\(target.name)", "name": "\(name)"])
            } catch {
                logger.warning("cannot copy the catalog snapshot; trying again later", metadata: ["target": "\(target.name)", "error": "\(error)"])
            }
        }
    }
}
