import Archive
import DICOMNetwork
import Foundation
import Protection
import Replication
import Security

/// The protection side of a node's wiring: the scrub that checks and heals every copy.
extension LifeboatNode {
    /// A scrubber over the archive and every target whose copies can be read back, each
    /// finding and heal recorded in the audit trail.
    public static func scrubber(archive: LocalArchive, integrity: any IntegrityStore, replicas: any ReplicationStore, targets: [any ReplicationTarget], audit: AuditLog, actor: String,
                                heal: Bool = true) -> Scrubber {
        Scrubber(blobs: archive.blobs, staging: archive.blobs.stagingDirectory, catalog: archive.catalog, replicas: replicas, integrity: integrity, targets: targets.compactMap { $0 as? any ReadableTarget }, heal: heal) { finding in
            let outcome = finding.healedFrom.map { "healed from \($0)" } ?? (finding.unrecoverable ? "no good copy anywhere" : "found")
            audit.note(.init(.integrity, succeeded: !finding.unrecoverable, actor: actor, source: "local", subject: "blob=\(finding.blob)",
                             detail: "\(finding.place): \(finding.problem.rawValue), \(outcome)"))
        }
    }

    /// A scrubber for an on-demand check beside (or without) a running server: the archive
    /// in the configuration's data directory, its targets unless `localOnly`.
    public func scrubber(actor: String, heal: Bool, localOnly: Bool) throws -> (Scrubber, LocalArchive) {
        guard let title = AETitle(validating: configuration.aeTitle) else {
            throw ConfigurationError("ae-title \"\(configuration.aeTitle)\" is not an AE title")
        }
        let archive = try LocalArchive(root: configuration.data)
        let targets = localOnly ? [] : try configuration.replicationTargets.map { try $0.makeTarget(archive: archive, aeTitle: title) }
        let audit = try NodeSecurity(data: configuration.data).audit
        var scrubber = Self.scrubber(archive: archive, integrity: try SQLiteIntegrityStore(pool: archive.catalog.pool),
                                     replicas: try SQLiteReplicationStore(pool: archive.catalog.pool), targets: targets, audit: audit,
                                     actor: actor, heal: heal)
        scrubber.targetsLookedAt = !localOnly
        return (scrubber, archive)
    }

    /// The scheduled scrub's pace from the configuration; nil when it is off.
    var scrubPace: ScrubPace? {
        guard configuration.scrubDays > 0 else { return nil }
        return ScrubPace(period: .seconds(configuration.scrubDays * 86400), maxBytesPerSecond: configuration.scrubMaxMBPerSecond * 1_000_000)
    }

    /// Every how many target copies one is read back whole in a pass.
    var scrubReadBackEvery: Int { configuration.scrubReadBackPercent == 0 ? 0 : max(1, 100 / configuration.scrubReadBackPercent) }
}
