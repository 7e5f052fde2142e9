import Archive
import Logging
import NIOConcurrencyHelpers

/// Synchronous replication: a C-STORE or STOW-RS is answered only once the instance is
/// durable at `quorum` of the sync targets (recovery point objective zero). On timeout the
/// policy decides: fail the store (A700) so the modality sends it again — the retry is a
/// duplicate here and is answered as soon as the copies exist —, or accept it and raise an
/// alert.
public final class SyncQuorum: ReplicaQuorum {
    public enum Policy: String, Sendable { case fail, accept }

    public let targets: Set<String>
    public let quorum: Int
    public let timeout: Duration
    public let policy: Policy
    let replicas: any ReplicationStore
    let logger: Logger

    private struct Waiter {
        var confirmed: Set<String>
        var continuation: CheckedContinuation<Bool, Never>?
    }

    private let waiters = NIOLockedValueBox<[BlobID: [Int: Waiter]]>([:])
    private let nextID = NIOLockedValueBox(0)

    public init(targets: Set<String>, quorum: Int, timeout: Duration, policy: Policy, replicas: any ReplicationStore,
                logger: Logger = Logger(label: "lifeboat.replication")) {
        self.targets = targets
        self.quorum = quorum
        self.timeout = timeout
        self.policy = policy
        self.replicas = replicas
        self.logger = logger
    }

    /// A worker's news: `target` now holds these blobs.
    public func confirmed(_ blobs: [BlobID], at target: String) {
        guard targets.contains(target) else { return }
        var ready: [CheckedContinuation<Bool, Never>] = []
        waiters.withLockedValue { waiters in
            for blob in blobs {
                guard var entries = waiters[blob] else { continue }
                for (id, var waiter) in entries {
                    waiter.confirmed.insert(target)
                    if waiter.confirmed.count >= quorum, let continuation = waiter.continuation {
                        ready.append(continuation)
                        entries[id] = nil
                    } else {
                        entries[id] = waiter
                    }
                }
                waiters[blob] = entries.isEmpty ? nil : entries
            }
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    public func confirm(_ blob: BlobID, sopInstanceUID: String) async throws(IngestError) {
        let id = nextID.withLockedValue { $0 += 1; return $0 }
        // Registered before the catalog is asked: a confirmation from now on reaches the
        // waiter, one from before is in the store.
        waiters.withLockedValue { $0[blob, default: [:]][id] = Waiter(confirmed: []) }
        let held = ((try? await replicas.replicaTargets(of: blob)) ?? []).intersection(targets)
        let confirmed = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let done: Bool? = waiters.withLockedValue { waiters in
                guard var waiter = waiters[blob]?[id] else { return true }
                waiter.confirmed.formUnion(held)
                if waiter.confirmed.count >= quorum {
                    waiters[blob]?[id] = nil
                    if waiters[blob]?.isEmpty == true { waiters[blob] = nil }
                    return true
                }
                waiter.continuation = continuation
                waiters[blob]?[id] = waiter
                return nil
            }
            if let done { return continuation.resume(returning: done) }
            Task { [timeout] in
                try? await Task.sleep(for: timeout)
                let late = self.waiters.withLockedValue { waiters -> CheckedContinuation<Bool, Never>? in
                    let continuation = waiters[blob]?[id]?.continuation
                    waiters[blob]?[id] = nil
                    if waiters[blob]?.isEmpty == true { waiters[blob] = nil }
                    return continuation
                }
                late?.resume(returning: false)
            }
        }
        if confirmed { return }
        switch policy {
        case .fail:
            logger.error("not confirmed at the replication quorum in time: the store is failed so the sender retries",
                         metadata: ["instance": "\(sopInstanceUID)", "blob": "\(blob)", "quorum": "\(quorum)", "timeout": "\(timeout)"])
            throw IngestError(.notReplicated, "stored here but not yet at \(quorum) other site\(quorum == 1 ? "" : "s"): send again")
        case .accept:
            logger.critical("acknowledged without the replication quorum: this instance exists at this site only for now",
                            metadata: ["instance": "\(sopInstanceUID)", "blob": "\(blob)", "quorum": "\(quorum)", "timeout": "\(timeout)"])
        }
    }
}
