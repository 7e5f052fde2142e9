import Archive
import Foundation
import Protection
import Replication

/// A recovery drill against one target: a random sample of studies — and, when asked, every
/// version of the newest day — read back from the target into a scratch directory the way a
/// restore reads them (the same `BlobFetcher`, as many GETs at once, each blob hashed against
/// its name and made durable); the newest catalog snapshot read back and checked to be a
/// database; the rates measured and turned into what a full restore and the last 24 hours
/// would take. Nothing is written anywhere but the scratch directory, which is removed.
public struct Drill: Sendable {
    public struct Options: Sendable {
        public var studies: Int
        public var newestDay: Bool
        /// Where the bytes are staged and dropped (the data directory's tmp/ by default).
        public var scratch: String
        public var concurrency: Int

        public init(studies: Int = 5, newestDay: Bool = false, scratch: String, concurrency: Int = 8) {
            self.studies = studies
            self.newestDay = newestDay
            self.scratch = scratch
            self.concurrency = max(1, concurrency)
        }
    }

    let replicas: any ReplicationStore
    let target: any ReadableTarget
    let options: Options

    public init(replicas: any ReplicationStore, target: any ReadableTarget, options: Options) {
        self.replicas = replicas
        self.target = target
        self.options = options
    }

    public func run() async throws -> DrillReport {
        let started = Date()
        let directory = options.scratch + "/drill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let studies = try await replicas.drillStudies(target: target.name, count: options.studies)
        let items = try await replicas.drillItems(target: target.name, studies: studies,
                                                 receivedSince: options.newestDay ? started.addingTimeInterval(-86400) : nil)
        // Read back as a restore reads: the same fetcher, into a blob store of its own.
        let store = try LocalBlobStore(root: directory + "/restored")
        let fetcher = BlobFetcher(target: target, store: store, staging: store.stagingDirectory, concurrency: options.concurrency)
        let studyOf = Dictionary(items.map { ($0.blob, $0.studyInstanceUID) }) { first, _ in first }
        var failures: [DrillReport.Failure] = []
        let clock = ContinuousClock.now
        let counts = try await fetcher.fetch(items.map(\.blob)) { landed in
            for case let (blob, .failed(problem)) in landed {
                failures.append(.init(blob: blob.hex, studyInstanceUID: studyOf[blob] ?? "", problem: problem))
            }
        }
        // The rate is the blobs' alone: the snapshot, read after them, is timed on its own.
        let seconds = (ContinuousClock.now - clock).inSeconds
        let snapshotClock = ContinuousClock.now
        let (snapshot, age, snapshotProblem) = await checkSnapshot(into: directory, now: started)
        let snapshotSeconds = snapshot == nil ? nil : (ContinuousClock.now - snapshotClock).inSeconds
        if let snapshotProblem { failures.append(.init(blob: "", studyInstanceUID: "", problem: snapshotProblem)) }
        // Then the change log written since the snapshot, as a restore reads it before the newest day.
        let changeLogClock = ContinuousClock.now
        var changeLogSeconds: Double?
        do {
            _ = try await RestoreSources(target: target, asOf: nil, concurrency: options.concurrency).changes(since: snapshot.flatMap(TargetLayout.moment(ofName:)))
            changeLogSeconds = (ContinuousClock.now - changeLogClock).inSeconds
        } catch {
            failures.append(.init(blob: "", studyInstanceUID: "", problem: "the change log cannot be listed or read: \(error)"))
        }
        let bytes = Int64(counts.bytes)
        let whole = try await replicas.confirmedTotals(target: target.name)
        let lastDay = try await replicas.confirmedTotals(target: target.name, receivedSince: started.addingTimeInterval(-86400))
        let lag = try await replicas.replicationStatus().first { $0.name == target.name }?.recoveryPointSeconds ?? 0
        var report = DrillReport(target: target.name, startedAt: started, seconds: seconds, passed: failures.isEmpty && !items.isEmpty, studies: studies,
                                 newestDay: options.newestDay, instances: items.count, bytes: bytes,
                                 bytesPerSecond: seconds > 0 && bytes > 0 ? Double(bytes) / seconds : 0, snapshot: snapshot,
                                 snapshotAgeSeconds: age, snapshotSeconds: snapshotSeconds, fullRestoreSeconds: nil, last24HoursSeconds: nil,
                                 recoveryPointSeconds: lag,
                                 failures: items.isEmpty ? [.init(blob: "", studyInstanceUID: "", problem: "the target has confirmed nothing to restore")] + failures
                                                         : failures)
        report.changeLogSeconds = changeLogSeconds
        report.fullRestoreSeconds = report.restoreSeconds(versions: whole.versions, bytes: whole.bytes)
        report.last24HoursSeconds = report.restoreSeconds(versions: lastDay.versions, bytes: lastDay.bytes)
        return report
    }

    /// The newest catalog snapshot, read back and checked to be an SQLite database.
    private func checkSnapshot(into directory: String, now: Date) async -> (String?, Double?, String?) {
        do {
            guard let newest = try await target.files(under: "catalog/", asOf: nil).filter({ $0.key.hasSuffix(".sqlite") }).max(by: { $0.key < $1.key }) else {
                return (nil, nil, nil) // none made yet: said in the summary, not a failure of the copies
            }
            let path = directory + "/snapshot.sqlite"
            try await target.read(newest, to: path)
            let header = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 16) } ?? Data()
            let age = newest.modified.map { now.timeIntervalSince($0) }
            guard header == Data("SQLite format 3\0".utf8) else { return (newest.key, age, "the catalog snapshot \(newest.key) is not an SQLite database") }
            return (newest.key, age, nil)
        } catch {
            return (nil, nil, "the catalog snapshots cannot be listed or read: \(error)")
        }
    }
}
