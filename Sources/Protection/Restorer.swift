import Archive
import Foundation
import Logging
import Replication
import Synchronization

/// Rebuilds a working archive from one target into an empty data directory, the newest day
/// first whatever the archive's size:
/// 1. the newest catalog snapshot, so that queries see the archive at once;
/// 2. the blobs of the named patients and studies and of the last day — from the snapshot
///    (through its indexes) and from the change log's segments written since it — each
///    checked against its name, made durable a group at a time and only then recorded;
/// 3. the study manifests changed since the snapshot, for what the change log's last
///    segment had not shipped; what they add, then everything else, newest study first;
/// 4. blobs no list named, recorded from their own headers.
/// Interrupted, it goes on where it stopped when run again.
public struct Restorer: Sendable {
    public let target: any ReadableTarget
    public let root: String
    let logger: Logger

    public init(target: any ReadableTarget, root: String, logger: Logger = Logger(label: "lifeboat.restore")) {
        self.target = target
        self.root = root
        self.logger = logger
    }

    public struct Options: Sendable {
        /// Restore what the target held at this moment: later snapshots, manifests and
        /// versions of objects (ransomware's among them) are left out.
        public var asOf: Date?
        /// Patient IDs or Study Instance UIDs to bring back before anything else.
        public var first: Set<String>
        /// GETs in flight at once.
        public var concurrency: Int
        /// What counts as recent: received within this long before `asOf` (or now).
        public var recent: TimeInterval

        public init(asOf: Date? = nil, first: Set<String> = [], concurrency: Int = 8, recent: TimeInterval = 86400) {
            self.asOf = asOf
            self.first = first
            self.concurrency = max(1, concurrency)
            self.recent = recent
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func markerPath(in root: String) -> String { root + "/restore-in-progress" }

    public func run(_ options: Options, progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> Report {
        let started = Date()
        let marker = Self.markerPath(in: root), catalogPath = LocalArchive.catalogPath(in: root)
        let resuming = FileManager.default.fileExists(atPath: marker)
        if FileManager.default.fileExists(atPath: catalogPath) && !resuming {
            throw Failure(description: "\(root) already holds an archive (catalog.sqlite): restore into an empty directory, or finish the restore that made it")
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if !resuming { try Data("restoring from \(target.name) since \(started)\n".utf8).write(to: URL(fileURLWithPath: marker)) }
        var report = Report()
        report.target = target.name
        report.startedAt = started
        // The catalog exists only once its snapshot is wholly in place (or there was none):
        // a restore stopped before that starts it again.
        let resumedFrom = resuming ? Self.snapshotNamed(inMarker: marker) : nil
        let resumed = FileManager.default.fileExists(atPath: catalogPath)
        let snapshot = resumed ? resumedFrom : try await restoreSnapshot(asOf: options.asOf, to: catalogPath)?.key
        report.snapshot = snapshot
        // A resumed run reads the change log from the same snapshot's moment as the first did.
        try Data("restoring from \(target.name) since \(started)\nsnapshot \(snapshot ?? "none")\n".utf8).write(to: URL(fileURLWithPath: marker))
        let archive = try LocalArchive(root: root, stagingFolder: "restore")
        report.catalogAfter = Date().timeIntervalSince(started)
        progress(Progress(phase: .catalog, recent: report.recent, whole: report.whole, elapsed: report.catalogAfter, fetching: 0))

        // What came since the snapshot: the change log at once; the manifests once the newest
        // day it names is back (listing them costs as many requests as the archive has studies,
        // and a store that lists slowly — moto does — slows every GET while it lists).
        let sources = RestoreSources(target: target, asOf: options.asOf, concurrency: options.concurrency, logger: logger)
        let since = snapshot.flatMap(TargetLayout.moment(ofName:))
        let catalog = archive.catalog
        var beyond = try await Self.uncataloged(try await sources.changes(since: since).compactMap(RestoreItem.init), in: catalog)
        let recentSince = (options.asOf ?? started).addingTimeInterval(-options.recent)
        func urgent(_ item: RestoreItem) -> Bool { item.turn(recentSince: recentSince, first: options.first) < 2 }
        let first = RestoreItem.ordered(try await catalog.urgentRestoreItems(recentSince: recentSince, first: options.first) + beyond.filter(urgent),
                                        recentSince: recentSince, first: options.first)
        report.recent.total = first.count
        report.recent.totalBytes = first.reduce(0) { $0 + $1.size }
        let cataloged = try await catalog.scrubTotals()
        report.whole.total = cataloged.versions + beyond.count
        report.whole.totalBytes = cataloged.bytes + beyond.reduce(0) { $0 + $1.size }
        if first.isEmpty { report.recent.finishedAfter = Date().timeIntervalSince(started) }

        var fetch = RestoreFetch(fetcher: BlobFetcher(target: target, store: archive.blobs, staging: archive.ingestor.stagingDirectory,
                                                      concurrency: options.concurrency),
                                 recovery: Recovery(ingestor: archive.ingestor), started: started, progress: progress)
        fetch.toRecord(beyond)
        try await fetch.run(first, phase: .recent, recent: true, into: &report)

        // Everything else, newest study first. Meanwhile, in the background, the manifests are
        // read — what they add (versions the change log's last segment had not shipped yet)
        // comes next once they are — and the target's blobs listed, for those no list named.
        let manifestsRead = Flag()
        let manifests = Task {
            defer { manifestsRead.raise() }
            return try await sources.manifests(modifiedSince: since)
        }
        defer { manifests.cancel() }
        let listing = Task { [target] in try await target.blobIDs(asOf: options.asOf) }
        defer { listing.cancel() }
        var rest = RestoreItem.ordered(beyond.filter { !urgent($0) }, recentSince: recentSince, first: options.first)
        var known = Set(beyond.map(\.blob))
        // What the manifests add: the newest day's part at once, the rest next in turn.
        func foldInManifests() async throws {
            let added = try await Self.uncataloged(try await manifests.value.flatMap { manifest in
                manifest.instances.compactMap { RestoreItem($0, of: manifest) }
            }.filter { !known.contains($0.blob) }, in: catalog)
            fetch.toRecord(added)
            beyond += added
            known.formUnion(added.map(\.blob))
            report.whole.total += added.count
            report.whole.totalBytes += added.reduce(0) { $0 + $1.size }
            let addedFirst = RestoreItem.ordered(added.filter(urgent), recentSince: recentSince, first: options.first)
            report.recent.total += addedFirst.count
            report.recent.totalBytes += addedFirst.reduce(0) { $0 + $1.size }
            if !addedFirst.isEmpty { report.recent.finishedAfter = nil }
            try await fetch.run(addedFirst, phase: .recent, recent: true, into: &report)
            rest = RestoreItem.ordered(added.filter { !urgent($0) }, recentSince: recentSince, first: options.first) + rest
        }
        // Then the catalog, a page of studies at a time (not all of it in memory at once),
        // leaving out what the change log and manifests named: recorded as it came back.
        var cursor: RestoreCursor?, walked = false, folded = false
        while true {
            if !folded && (manifestsRead.raised || (rest.isEmpty && walked)) {
                try await foldInManifests()
                folded = true
            }
            if rest.count < Self.part && !walked {
                let page = try await catalog.restorePage(after: cursor, studies: 256, recentSince: recentSince, first: options.first)
                rest += page.items.filter { !known.contains($0.blob) }
                cursor = page.next
                walked = page.next == nil
                continue
            }
            guard !rest.isEmpty else { break }
            let part = Array(rest.prefix(Self.part))
            rest.removeFirst(part.count)
            try await fetch.run(part, phase: .rest, recent: false, into: &report)
        }
        report.beyondSnapshot = beyond.count

        // Blobs no snapshot or manifest named (sent just before the site was lost): recorded from their headers.
        let named = try await catalog.blobs(withPrefix: "")
        let unnamed = try await listing.value.filter { !named.contains($0) }
        if !unnamed.isEmpty {
            progress(Progress(phase: .stragglers, recent: report.recent, whole: report.whole, elapsed: Date().timeIntervalSince(started), fetching: 0))
            try await fetch.fetcher.fetch(unnamed) { _ in }
            report.stragglers = try await fetch.recovery.run(source: .restored).recataloged
        }
        report.versions = try await catalog.scrubTotals().versions
        report.seconds = Date().timeIntervalSince(started)
        report.whole.finishedAfter = report.failed.isEmpty ? report.seconds : nil
        try append(report)
        if report.failed.isEmpty { try FileManager.default.removeItem(atPath: marker) }
        logger.notice("restore finished", metadata: ["target": "\(target.name)", "versions": "\(report.versions)", "seconds": "\(report.seconds)",
                                                     "last day back after": "\(report.recent.finishedAfter.map { "\($0)" } ?? "-")",
                                                     "failed": "\(report.failed.count)"])
        return report
    }

    /// Blobs fetched in one go in the rest of a restore: enough that the pipeline seldom
    /// drains, few enough that what the manifests add waits for no more.
    static let part = 2048

    /// The snapshot an earlier run restored the catalog from, as its marker says; nil when
    /// none (or an older marker that does not say: the whole change log is read then).
    static func snapshotNamed(inMarker path: String) -> String? {
        let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n") ?? []
        return lines.first { $0.hasPrefix("snapshot catalog/") }.map { String($0.dropFirst("snapshot ".count)) }
    }

    /// Those of `items` whose blob the catalog does not reference, once each.
    static func uncataloged(_ items: [RestoreItem], in catalog: Catalog) async throws -> [RestoreItem] {
        var seen = Set<BlobID>()
        let once = items.filter { seen.insert($0.blob).inserted }
        let referenced = try await catalog.referenced(among: once.map(\.blob))
        return once.filter { !referenced.contains($0.blob) }
    }

    /// What the target held at `asOf` (now when nil), read without restoring anything: the
    /// snapshot a restore would start from, the change log's segments, each study's manifest
    /// (its instances received by then), and the blobs.
    public struct Inventory: Sendable {
        public var snapshot: String?
        public var changeSegments: Int
        public var studies: [StudyManifest]
        public var blobs: Int
    }

    public func inventory(asOf: Date?) async throws -> Inventory {
        let snapshot = try await target.files(under: "catalog/", asOf: asOf).filter { $0.key.hasSuffix(".sqlite") }.max { $0.key < $1.key }
        let segments = try await target.files(under: "changes/", asOf: asOf).filter { $0.key.hasSuffix(".jsonl") }.count
        var studies: [StudyManifest] = []
        for manifest in try await RestoreSources(target: target, asOf: asOf, logger: logger).manifests() where !manifest.instances.isEmpty {
            studies.append(manifest)
        }
        return Inventory(snapshot: snapshot?.key, changeSegments: segments, studies: studies.sorted { $0.lastReceivedAt > $1.lastReceivedAt },
                         blobs: try await target.blobIDs(asOf: asOf).count)
    }

    /// The newest catalog snapshot at `asOf`; nil when the target has none.
    func newestSnapshot(asOf: Date?) async throws -> TargetFile? {
        // Their names are their times, so the last in name order is the newest.
        try await target.files(under: "catalog/", asOf: asOf).filter { $0.key.hasSuffix(".sqlite") }.max { $0.key < $1.key }
    }

    /// The newest catalog snapshot (at `asOf`), copied into place; nil when the target has none.
    func restoreSnapshot(asOf: Date?, to catalogPath: String) async throws -> TargetFile? {
        guard let newest = try await newestSnapshot(asOf: asOf) else { return nil }
        let partial = catalogPath + ".partial"
        try? FileManager.default.removeItem(atPath: partial) // a download an earlier run did not finish
        try await target.read(newest, to: partial)
        // Flushed before it takes the catalog's name: a resumed restore trusts a catalog it finds.
        try DurableFile.move(partial, to: catalogPath)
        logger.notice("catalog restored from a snapshot", metadata: ["snapshot": "\(newest.key)", "target": "\(target.name)"])
        return newest
    }
}

/// Raised once, looked at without waiting: whether background work has ended.
final class Flag: Sendable {
    private let state = Mutex(false)
    func raise() { state.withLock { $0 = true } }
    var raised: Bool { state.withLock { $0 } }
}
