import Archive
import Foundation
import Logging

/// Drains one target's outbox: takes the next versions in rank order, puts them, and
/// records each outcome in the catalog — confirmed ones become replicas, permanent failures
/// are set aside (and logged as critical), transient ones are retried after a backoff. When
/// nothing is owed it writes the manifests that are behind and waits for the doorbell.
struct ReplicationWorker: Sendable {
    let target: any ReplicationTarget
    let catalog: Catalog
    let blobs: any BlobStore
    var batchSize = 32
    var idleWait: Duration = .seconds(2)
    var backoff = Backoff()
    /// How often manifests are brought up to date while versions keep coming.
    var manifestInterval: TimeInterval = 5
    let logger: Logger
    /// Told of each batch the target confirmed.
    var onConfirmed: @Sendable ([OutboxItem]) -> Void = { _ in }

    func run() async {
        var backoff = self.backoff
        var lastManifests = Date.distantPast
        while !Task.isCancelled {
            let rings = catalog.outboxBell.rings
            let items: [OutboxItem]
            do {
                items = try await catalog.nextOutboxItems(target: target.name, limit: batchSize)
            } catch {
                logger.error("cannot read the outbox", metadata: ["target": "\(target.name)", "error": "\(error)"])
                try? await Task.sleep(for: backoff.failed())
                continue
            }
            if items.isEmpty || Date().timeIntervalSince(lastManifests) >= manifestInterval {
                await writeManifests()
                lastManifests = Date()
            }
            if items.isEmpty {
                await catalog.outboxBell.wait(after: rings, timeout: idleWait)
                continue
            }
            if let failure = await send(items) {
                let delay = backoff.failed()
                logger.warning("target unavailable; trying again", metadata: ["target": "\(target.name)", "in": "\(delay)", "error": "\(failure)"])
                try? await Task.sleep(for: delay)
            } else {
                backoff.succeeded()
            }
        }
    }

    /// Sends a batch and records how it went; returns the first transient failure, if any.
    func send(_ items: [OutboxItem]) async -> ReplicationError? {
        var outbound: [OutboundBlob] = []
        var sendable: [OutboxItem] = []
        for item in items {
            guard let path = blobs.localPath(of: item.blob) else {
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
        do {
            try await catalog.confirmReplicas(target: target.name, items: confirmed)
            onConfirmed(confirmed)
        } catch {
            // Not recorded: they are sent again later, which a target takes as a no-op.
            logger.error("cannot record replicas", metadata: ["target": "\(target.name)", "error": "\(error)"])
        }
        return transient
    }

    func record(_ item: OutboxItem, _ error: ReplicationError) async {
        if error.isPermanent {
            logger.critical("a version cannot be replicated; it is kept aside until someone acts",
                            metadata: ["target": "\(target.name)", "instance": "\(item.sopInstanceUID)", "blob": "\(item.blob)", "error": "\(error)"])
        }
        do {
            try await catalog.recordReplicationFailure(target: target.name, item: item, error: error.message, permanent: error.isPermanent)
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
                manifests = try await catalog.staleManifests(target: target.name, limit: 64)
            } catch {
                logger.error("cannot read stale manifests", metadata: ["target": "\(target.name)", "error": "\(error)"])
                return
            }
            if manifests.isEmpty { return }
            for manifest in manifests {
                do {
                    try await target.put(manifest)
                    try await catalog.manifestWritten(manifest, target: target.name)
                } catch {
                    logger.warning("cannot write a manifest; trying again later",
                                   metadata: ["target": "\(target.name)", "study": "\(manifest.studyInstanceUID)", "error": "\(error)"])
                    return
                }
            }
        }
    }
}
