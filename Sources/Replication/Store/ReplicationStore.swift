import Archive
import Foundation

/// What Replication keeps about its targets: which are active, the outbox of versions each
/// is owed, the versions each has confirmed (its replicas), the studies whose manifest there
/// is behind, and how far its change log and catalog snapshots have got. The outbox is
/// filled in the same transaction as the versions themselves (nothing acknowledged can be
/// forgotten); everything else is written only here. Read by the scrub, the drills, the
/// alerts and the status pages to know what a target holds.
public protocol ReplicationStore: Sendable {
    // MARK: Targets and the outbox

    /// Makes `names` the active targets and the others inactive. A target that is new, or
    /// active again, is owed every version it does not hold: a backfill, newest study first.
    /// Returns how many versions each target was newly owed.
    @discardableResult
    func activateReplicationTargets(_ names: [String], at date: Date) async throws -> [String: Int]
    /// The next versions owed to `target`, in rank order (live first, then the backfill), at
    /// most `limit`, leaving out those in `inFlight` and those failed for good.
    func nextOutboxItems(target: String, limit: Int, excluding inFlight: Set<Int64>) async throws -> [OutboxItem]
    /// The target confirmed these versions: they leave its outbox, become its replicas, and
    /// their studies' manifests there are due to be rewritten.
    func confirmReplicas(target: String, items: [OutboxItem], at date: Date) async throws
    /// A send failed: counted against the item (when there is one), kept as the target's last
    /// error, and — when `permanent` — the item is set aside until someone acts.
    func recordReplicationFailure(target: String, item: OutboxItem?, error: String, permanent: Bool, at date: Date) async throws
    /// Puts items failed for good back in the queue (after the cause was fixed); returns how many.
    func retryPermanentFailures(target: String) async throws -> Int
    /// Every target's standing, as of `date`.
    func replicationStatus(at date: Date) async throws -> [ReplicationTargetStatus]

    // MARK: Manifests, change log and snapshots at a target

    /// Studies whose manifest at `target` is behind and that the target owes nothing more
    /// right now: their manifests can be written.
    func staleManifests(target: String, limit: Int) async throws -> [StudyManifest]
    /// The manifests were written at the target; each is stale again only if more arrives.
    func manifestsWritten(_ manifests: [StudyManifest], target: String) async throws
    /// Versions `target` confirmed after `cursor`, in the order it confirmed them, at most `limit`.
    func confirmedChanges(target: String, after cursor: ChangeLogCursor?, limit: Int) async throws -> ([CatalogChange], ChangeLogCursor?)
    func changeLogCursor(target: String) async throws -> ChangeLogCursor?
    func save(_ cursor: ChangeLogCursor, target: String) async throws
    /// When a catalog snapshot last reached each target (nil: never).
    func lastSnapshots() async throws -> [String: Date?]
    func snapshotWritten(target: String, at date: Date) async throws

    // MARK: What a target holds

    /// The targets that have confirmed a copy of this blob.
    func replicaTargets(of blob: BlobID) async throws -> Set<String>
    /// `count` studies picked at random among those with a version `target` confirmed.
    func drillStudies(target: String, count: Int) async throws -> [String]
    /// The versions `target` confirmed of these studies, and of every study received since
    /// `since` when given.
    func drillItems(target: String, studies: [String], receivedSince since: Date?) async throws -> [DrillItem]
    /// How many versions received since `since` (all when nil) `target` confirmed, and their bytes.
    func confirmedTotals(target: String, receivedSince since: Date?) async throws -> (versions: Int, bytes: Int64)
    /// Versions `target` confirmed after `versionID`, in id order, at most `limit`: a scrub's pass there.
    func scrubItems(after versionID: Int64, limit: Int, replicatedTo target: String) async throws -> [ScrubItem]
    /// How many versions and bytes a scrub's pass over `target` covers.
    func scrubTotals(replicatedTo target: String) async throws -> (versions: Int, bytes: Int)
}

extension ReplicationStore {
    @discardableResult
    public func activateReplicationTargets(_ names: [String]) async throws -> [String: Int] {
        try await activateReplicationTargets(names, at: Date())
    }

    public func nextOutboxItems(target: String, limit: Int) async throws -> [OutboxItem] {
        try await nextOutboxItems(target: target, limit: limit, excluding: [])
    }

    public func confirmReplicas(target: String, items: [OutboxItem]) async throws {
        try await confirmReplicas(target: target, items: items, at: Date())
    }

    public func recordReplicationFailure(target: String, item: OutboxItem?, error: String, permanent: Bool) async throws {
        try await recordReplicationFailure(target: target, item: item, error: error, permanent: permanent, at: Date())
    }

    public func replicationStatus() async throws -> [ReplicationTargetStatus] {
        try await replicationStatus(at: Date())
    }

    public func confirmedTotals(target: String) async throws -> (versions: Int, bytes: Int64) {
        try await confirmedTotals(target: target, receivedSince: nil)
    }

    public func manifestWritten(_ manifest: StudyManifest, target: String) async throws {
        try await manifestsWritten([manifest], target: target)
    }
}
