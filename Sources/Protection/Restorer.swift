import Archive
import Foundation
import Logging
import Replication

/// Rebuilds a working archive from one target into an empty data directory: the catalog
/// first (the newest snapshot, then the instances the change log and the study manifests
/// list beyond it), so
/// that queries see everything at once, then the blobs — the named patients or studies,
/// then the last day's, then newest study to oldest — each checked against its name.
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

    public struct Progress: Sendable {
        public var phase: String
        public var done: Int
        public var total: Int
        public var bytes: Int
        public var elapsed: TimeInterval

        /// Seconds left at the rate so far.
        public var estimate: TimeInterval? { done > 0 && total >= done ? elapsed / Double(done) * Double(total - done) : nil }
    }

    public struct Report: Sendable {
        /// The snapshot the catalog came from, or nil when there was none (manifests only).
        public var snapshot: String?
        /// Instances the change log and the manifests list beyond the snapshot, recorded from their own headers.
        public var beyondSnapshot = 0
        public var restored = 0
        public var alreadyHere = 0
        public var bytes = 0
        /// Blobs at the target that no manifest or snapshot named, recorded from their headers.
        public var stragglers = 0
        /// Versions received in the recent window, and when (seconds from the start) the last of them was back.
        public var recentVersions = 0
        public var recentBackAfter: TimeInterval?
        public var seconds: TimeInterval = 0
        /// Versions not brought back: what went wrong with each.
        public var failed: [String] = []
        /// Versions in the restored catalog.
        public var versions = 0
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
        try Data("restoring from \(target.name) since \(started)\n".utf8).write(to: URL(fileURLWithPath: marker))
        var report = Report()
        // The catalog exists only once its snapshot is wholly in place (or there was none):
        // a restore stopped before that starts it again.
        if !FileManager.default.fileExists(atPath: catalogPath) { report.snapshot = try await restoreSnapshot(asOf: options.asOf, to: catalogPath) }
        let archive = try LocalArchive(root: root, stagingFolder: "restore")
        let staging = archive.ingestor.stagingDirectory

        // The catalog: instances the manifests list beyond the snapshot, newest first.
        let beyond = try await instancesBeyondCatalog(archive.catalog, asOf: options.asOf)
        let recovery = Recovery(ingestor: archive.ingestor)
        var done = 0
        let receivedAt = Dictionary(beyond.map { ($0.blob, $0.receivedAt) }) { first, _ in first }
        report.beyondSnapshot = try await fetchAll(beyond.map(\.blob), into: archive, staging: staging, concurrency: options.concurrency) { blob, outcome in
            if case .fetched = outcome, let received = receivedAt[blob] {
                try await recovery.record(blob, receivedAt: received, source: .restored)
            }
            done += 1
            progress(Progress(phase: "catalog", done: done, total: beyond.count, bytes: 0, elapsed: Date().timeIntervalSince(started)))
        }.fetched

        // The blobs, in their turn.
        let recentSince = (options.asOf ?? started).addingTimeInterval(-options.recent)
        let order = try await archive.catalog.restoreOrder(recentSince: recentSince, first: options.first)
        let items = Dictionary(order.map { ($0.blob, $0) }) { first, _ in first }
        var recentLeft = order.filter { $0.receivedAt >= recentSince }.count
        report.recentVersions = recentLeft
        if recentLeft == 0 { report.recentBackAfter = Date().timeIntervalSince(started) }
        done = 0
        var bytes = 0
        let counts = try await fetchAll(order.map(\.blob), into: archive, staging: staging, concurrency: options.concurrency) { blob, outcome in
            done += 1
            guard let item = items[blob] else { return }
            switch outcome {
            case .fetched: bytes += item.size
            case .failed(let why): report.failed.append("\(blob) (study \(item.studyInstanceUID)): \(why)")
            case .alreadyHere: break
            }
            if item.receivedAt >= recentSince {
                recentLeft -= 1
                if recentLeft == 0 { report.recentBackAfter = Date().timeIntervalSince(started) }
            }
            progress(Progress(phase: "blobs", done: done, total: order.count, bytes: bytes, elapsed: Date().timeIntervalSince(started)))
        }
        report.restored = counts.fetched + report.beyondSnapshot
        report.alreadyHere = counts.alreadyHere
        report.bytes = bytes

        // Blobs no snapshot or manifest named (sent just before the site was lost): recorded from their headers.
        let known = try await archive.catalog.blobs(withPrefix: "")
        let unnamed = try await target.blobIDs(asOf: options.asOf).filter { !known.contains($0) }
        if !unnamed.isEmpty {
            _ = try await fetchAll(unnamed, into: archive, staging: staging, concurrency: options.concurrency) { _, _ in }
            report.stragglers = try await recovery.run(source: .restored).recataloged
        }
        report.versions = try await archive.catalog.scrubTotals().versions
        report.seconds = Date().timeIntervalSince(started)
        if report.failed.isEmpty { try FileManager.default.removeItem(atPath: marker) }
        return report
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
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var studies: [StudyManifest] = []
        for var manifest in try await manifests(asOf: asOf) {
            if let asOf { manifest.instances.removeAll { (try? time.parse($0.receivedAt)).map { $0 > asOf } ?? false } }
            if !manifest.instances.isEmpty { studies.append(manifest) }
        }
        return Inventory(snapshot: snapshot?.key, changeSegments: segments, studies: studies.sorted { $0.lastReceivedAt > $1.lastReceivedAt },
                         blobs: try await target.blobIDs(asOf: asOf).count)
    }

    /// The newest catalog snapshot (at `asOf`), copied into place; nil when the target has none.
    func restoreSnapshot(asOf: Date?, to catalogPath: String) async throws -> String? {
        let snapshots = try await target.files(under: "catalog/", asOf: asOf).filter { $0.key.hasSuffix(".sqlite") }
        // Their names are their times, so the last in name order is the newest.
        guard let newest = snapshots.max(by: { $0.key < $1.key }) else { return nil }
        let partial = catalogPath + ".partial"
        try? FileManager.default.removeItem(atPath: partial) // a download an earlier run did not finish
        try await target.read(newest, to: partial)
        // Flushed before it takes the catalog's name: a resumed restore trusts a catalog it finds.
        try DurableFile.move(partial, to: catalogPath)
        logger.notice("catalog restored from a snapshot", metadata: ["snapshot": "\(newest.key)", "target": "\(target.name)"])
        return newest.key
    }

    /// Versions the change log and the manifests list that the catalog does not hold, newest first.
    func instancesBeyondCatalog(_ catalog: Catalog, asOf: Date?) async throws -> [(blob: BlobID, receivedAt: Date)] {
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var beyond: [BlobID: Date] = [:]
        func consider(_ sha256: String, receivedAt: String) async throws {
            guard let blob = BlobID(hex: sha256), let received = try? time.parse(receivedAt) else { return }
            if let asOf, received > asOf { return }
            if beyond[blob] == nil, try await !catalog.references(blob) { beyond[blob] = received }
        }
        for file in try await target.files(under: "changes/", asOf: asOf) where file.key.hasSuffix(".jsonl") {
            for line in try await contents(of: file).split(separator: UInt8(ascii: "\n")) {
                guard let change = try? JSONDecoder().decode(CatalogChange.self, from: Data(line)) else {
                    logger.warning("a change log line cannot be read; its instance comes back from the manifests or the blobs", metadata: ["segment": "\(file.key)"])
                    continue
                }
                try await consider(change.sha256, receivedAt: change.receivedAt)
            }
        }
        for manifest in try await manifests(asOf: asOf) {
            for instance in manifest.instances { try await consider(instance.sha256, receivedAt: instance.receivedAt) }
        }
        return beyond.map { ($0.key, $0.value) }.sorted { $0.receivedAt > $1.receivedAt }
    }

    /// Every study manifest the target held at `asOf`; one that cannot be read is passed
    /// over with a warning (its instances come back from the change log or the blobs).
    func manifests(asOf: Date?) async throws -> [StudyManifest] {
        var manifests: [StudyManifest] = []
        for file in try await target.files(under: "studies/", asOf: asOf) where file.key.hasSuffix(".json") {
            guard let manifest = try? JSONDecoder().decode(StudyManifest.self, from: try await contents(of: file)) else {
                logger.warning("a manifest cannot be read; its instances come back from the change log or the blobs", metadata: ["manifest": "\(file.key)"])
                continue
            }
            manifests.append(manifest)
        }
        return manifests
    }

    /// A small file's bytes (a manifest, a change log segment), read through a scratch file.
    func contents(of file: TargetFile) async throws -> Data {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-restore-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await target.read(file, to: scratch)
        return FileManager.default.contents(atPath: scratch) ?? Data()
    }

    enum Outcome: Sendable {
        case fetched, alreadyHere
        case failed(String)
    }

    /// Brings blobs back, `concurrency` at a time, each checked against its name before it is
    /// stored; `each` is told of every one in turn, on this task.
    func fetchAll(_ blobs: [BlobID], into archive: LocalArchive, staging: String, concurrency: Int,
                  each: (BlobID, Outcome) async throws -> Void) async throws -> (fetched: Int, alreadyHere: Int) {
        let store = archive.blobs, target = target
        var fetched = 0, alreadyHere = 0
        try await withThrowingTaskGroup(of: (BlobID, Outcome).self) { group in
            var next = blobs.makeIterator()
            func start() -> Bool {
                guard let blob = next.next() else { return false }
                group.addTask {
                    if try await store.contains(blob) { return (blob, .alreadyHere) }
                    do {
                        guard let staged = try await target.fetch(blob, into: staging) else { return (blob, .failed("not at \(target.name)")) }
                        guard staged.id == blob else {
                            staged.discard()
                            return (blob, .failed("no copy at \(target.name) hashes to its name"))
                        }
                        _ = try await store.put(staged)
                        return (blob, .fetched)
                    } catch {
                        return (blob, .failed("\(error)"))
                    }
                }
                return true
            }
            for _ in 0..<concurrency where !start() { break }
            while let (blob, outcome) = try await group.next() {
                switch outcome {
                case .fetched: fetched += 1
                case .alreadyHere: alreadyHere += 1
                case .failed: break
                }
                try await each(blob, outcome)
                try Task.checkCancellation()
                _ = start()
            }
        }
        return (fetched, alreadyHere)
    }
}
