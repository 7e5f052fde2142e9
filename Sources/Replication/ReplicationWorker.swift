import Archive
import Foundation
import Logging

/// Drains one target's outbox as a pipeline: up to `target.concurrency` puts on their way at
/// once, each of at most `target.batchSize` versions, taken in rank order (read a few puts'
/// worth at a time) and topped up as each finishes or as new versions arrive (the doorbell). Each outcome goes to the catalog —
/// confirmed versions become replicas (the puts finishing together share one transaction),
/// permanent failures are set aside and logged as critical, transient ones are retried after
/// a backoff. Manifests that are behind are written every few seconds, and once things are
/// quiet (not after every version: a study's manifest lists all its instances).
struct ReplicationWorker: Sendable {
    let target: any ReplicationTarget
    let store: any ReplicationStore
    /// Rung when the catalog recorded versions: new work in the outbox.
    let recorded: Doorbell
    let blobs: any BlobStore
    /// Where a blob is copied, through the verified reader, for a target to send, when the
    /// store keeps no file of its own; nil: such a blob cannot be sent.
    var staging: String?
    var idleWait: Duration = .seconds(2)
    var backoff = Backoff()
    /// How often manifests are brought up to date while versions keep coming.
    var manifestInterval: TimeInterval = 5
    let logger: Logger
    /// Told of versions the target confirmed, once the catalog has them as replicas.
    var onConfirmed: @Sendable ([OutboxItem]) -> Void = { _ in }

    private enum Event: Sendable {
        /// A put ended: its versions, a transient failure if there was one, and when it began.
        case sent(ids: [Int64], failure: ReplicationError?, began: ContinuousClock.Instant)
        /// The doorbell rang (true), or the wait for it timed out: nothing is happening.
        case woke(rang: Bool)
    }

    func run() async {
        let confirmer = GroupCommit<[OutboxItem], Void> { [store, target, onConfirmed, logger] batches in
            let items = batches.flatMap { $0 }
            do {
                try await store.confirmReplicas(target: target.name, items: items)
                onConfirmed(items)
            } catch {
                // Not recorded: they are sent again later, which a target takes as a no-op.
                logger.error("cannot record replicas", metadata: ["target": "\(target.name)", "error": "\(error)"])
            }
            return batches.map { _ in .success(()) }
        }
        await withTaskGroup(of: Event.self) { group in
            var backoff = self.backoff
            var inFlight = Set<Int64>()
            var running = 0
            var listening = false
            var lastManifests = Date.distantPast
            var backedOff = ContinuousClock.now
            // The next versions in rank order, read a few puts' worth at a time.
            var queue: [OutboxItem] = []
            while !Task.isCancelled {
                let rings = recorded.rings
                // After a failure, one put at a time probes the target until one succeeds.
                let width = backoff.current == nil ? target.concurrency : 1
                if running < width && queue.isEmpty {
                    do {
                        queue = try await store.nextOutboxItems(target: target.name, limit: 4 * target.concurrency * target.batchSize, excluding: inFlight)
                    } catch {
                        logger.error("cannot read the outbox", metadata: ["target": "\(target.name)", "error": "\(error)"])
                    }
                }
                while running < width && !queue.isEmpty {
                    let batch = Array(queue.prefix(target.batchSize))
                    queue.removeFirst(batch.count)
                    inFlight.formUnion(batch.map(\.id))
                    running += 1
                    group.addTask { await send(batch, confirmer: confirmer) }
                }
                if Date().timeIntervalSince(lastManifests) >= manifestInterval {
                    await writeManifests()
                    lastManifests = Date()
                }
                // Wake for a put ending or, with room for more, for new versions.
                if running < width && queue.isEmpty && !listening {
                    listening = true
                    group.addTask { [recorded, idleWait] in .woke(rang: await recorded.wait(after: rings, timeout: idleWait)) }
                }
                guard let event = await group.next() else { continue }
                switch event {
                case .woke(let rang):
                    listening = false
                    // Quiet: the manifests catch up with what the target now holds.
                    if !rang && running == 0 {
                        await writeManifests()
                        lastManifests = Date()
                    }
                case .sent(let ids, let failure, let began):
                    running -= 1
                    inFlight.subtract(ids)
                    if let failure {
                        // Puts already on their way when the target went fail too: one outage, one step.
                        guard began >= backedOff else { continue }
                        let delay = backoff.failed()
                        logger.warning("target unavailable; trying again", metadata: ["target": "\(target.name)", "in": "\(delay)", "error": "\(failure)"])
                        try? await Task.sleep(for: delay)
                        backedOff = .now
                    } else {
                        backoff.succeeded()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Sends a batch and records how it went; says which versions it carried and the first
    /// transient failure, if any.
    private func send(_ items: [OutboxItem], confirmer: GroupCommit<[OutboxItem], Void>) async -> Event {
        let began = ContinuousClock.now
        var outbound: [OutboundBlob] = []
        var sendable: [OutboxItem] = []
        var copies: [BlobFile] = []
        defer { for copy in copies { copy.discard() } }
        for item in items {
            let path: String
            if let own = blobs.localPath(of: item.blob) {
                path = own
            } else if let staging {
                do {
                    let copy = try await blobs.file(of: item.blob, staging: staging)
                    copies.append(copy)
                    path = copy.path
                } catch BlobStoreError.damaged {
                    // As a damaged local file is: set aside, never copied, until the scrub heals it.
                    await record(item, .permanent("the stored copy of \(item.sopInstanceUID) does not match its SHA-256"))
                    continue
                } catch {
                    await record(item, .transient("the stored copy of \(item.sopInstanceUID) cannot be read: \(error)"))
                    continue
                }
            } else {
                await record(item, .permanent("no local copy of \(item.sopInstanceUID) to send"))
                continue
            }
            outbound.append(OutboundBlob(blob: item.blob, path: path, size: item.size, sopClassUID: item.sopClassUID, sopInstanceUID: item.sopInstanceUID,
                                         transferSyntaxUID: item.transferSyntaxUID, studyInstanceUID: item.studyInstanceUID))
            sendable.append(item)
        }
        let results = await target.put(outbound)
        var confirmed: [OutboxItem] = []
        var transient: ReplicationError?
        for (item, result) in zip(sendable, results) {
            switch result {
            case .success: confirmed.append(item)
            case .failure(let error):
                if !error.isPermanent && transient == nil { transient = error }
                await record(item, error)
            }
        }
        if !confirmed.isEmpty { try? await confirmer.submit(confirmed) }
        return .sent(ids: items.map(\.id), failure: transient, began: began)
    }

    func record(_ item: OutboxItem, _ error: ReplicationError) async {
        if error.isPermanent {
            logger.critical("a version cannot be replicated; it is kept aside until someone acts",
                            metadata: ["target": "\(target.name)", "instance": "\(item.sopInstanceUID)", "blob": "\(item.blob)", "error": "\(error)"])
        }
        do {
            try await store.recordReplicationFailure(target: target.name, item: item, error: error.message, permanent: error.isPermanent)
        } catch {
            logger.error("cannot record a replication failure", metadata: ["target": "\(target.name)", "error": "\(error)"])
        }
    }

    /// Rewrites the manifests of studies whose versions have all reached the target.
    func writeManifests() async {
        guard target.keepsManifests else { return }
        while !Task.isCancelled {
            let manifests: [StudyManifest]
            do {
                manifests = try await store.staleManifests(target: target.name, limit: 64)
            } catch {
                logger.error("cannot read stale manifests", metadata: ["target": "\(target.name)", "error": "\(error)"])
                return
            }
            if manifests.isEmpty { return }
            // As many at once as the target takes blobs: in a backfill of one-instance studies
            // there are as many manifests as blobs, and one at a time they halved its rate.
            let (written, failure) = await put(manifests)
            do {
                try await store.manifestsWritten(written, target: target.name)
            } catch {
                logger.error("cannot record written manifests", metadata: ["target": "\(target.name)", "error": "\(error)"])
                return
            }
            if let (study, error) = failure {
                logger.warning("cannot write a manifest; trying again later", metadata: ["target": "\(target.name)", "study": "\(study)", "error": "\(error)"])
                return
            }
        }
    }

    /// Puts manifests, `target.concurrency` at once; those written, and the first failure.
    private func put(_ manifests: [StudyManifest]) async -> (written: [StudyManifest], failure: (study: String, error: ReplicationError)?) {
        await withTaskGroup(of: (StudyManifest, ReplicationError?).self) { group in
            var next = manifests.makeIterator(), written: [StudyManifest] = [], failure: (String, ReplicationError)?
            func start() {
                guard failure == nil, let manifest = next.next() else { return }
                group.addTask { [target] in
                    do throws(ReplicationError) {
                        try await target.put(manifest)
                        return (manifest, nil)
                    } catch {
                        return (manifest, error)
                    }
                }
            }
            for _ in 0..<max(1, target.concurrency) { start() }
            for await (manifest, error) in group {
                if let error { failure = failure ?? (manifest.studyInstanceUID, error) } else { written.append(manifest) }
                start()
            }
            return (written, failure)
        }
    }
}
