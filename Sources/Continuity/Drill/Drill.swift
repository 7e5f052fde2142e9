import Archive
import Foundation
import Replication

/// A recovery drill against one target: a random sample of studies — and, when asked, every
/// version of the newest day — read back from the target into a scratch directory, each
/// hashed against its name; the newest catalog snapshot read back and checked to be a
/// database; the rate measured and turned into what a full restore and the last 24 hours
/// would take. Nothing is written anywhere but the scratch directory, which is removed.
public struct Drill: Sendable {
    public struct Options: Sendable {
        public var studies: Int
        public var newestDay: Bool
        /// Where the bytes are staged and dropped (the data directory's tmp/ by default).
        public var scratch: String
        public var concurrency: Int

        public init(studies: Int = 5, newestDay: Bool = false, scratch: String, concurrency: Int = 4) {
            self.studies = studies
            self.newestDay = newestDay
            self.scratch = scratch
            self.concurrency = max(1, concurrency)
        }
    }

    let catalog: Catalog
    let target: any ReadableTarget
    let options: Options

    public init(catalog: Catalog, target: any ReadableTarget, options: Options) {
        self.catalog = catalog
        self.target = target
        self.options = options
    }

    public func run() async throws -> DrillReport {
        let started = Date()
        let clock = ContinuousClock.now
        let directory = options.scratch + "/drill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let studies = try await catalog.drillStudies(target: target.name, count: options.studies)
        let items = try await catalog.drillItems(target: target.name, studies: studies,
                                                 receivedSince: options.newestDay ? started.addingTimeInterval(-86400) : nil)
        var failures: [DrillReport.Failure] = []
        var bytes: Int64 = 0
        try await withThrowingTaskGroup(of: (DrillItem, String?).self) { group in
            var next = items.makeIterator()
            func start() {
                guard let item = next.next() else { return }
                group.addTask { (item, await check(item, into: directory)) }
            }
            for _ in 0..<options.concurrency { start() }
            while let (item, problem) = try await group.next() {
                if let problem {
                    failures.append(.init(blob: item.blob.hex, studyInstanceUID: item.studyInstanceUID, problem: problem))
                } else {
                    bytes += Int64(item.size)
                }
                start()
            }
        }
        // The rate is the blobs' alone: the snapshot read after them is not part of it.
        let seconds = (ContinuousClock.now - clock).inSeconds
        let (snapshot, age, snapshotProblem) = await checkSnapshot(into: directory, now: started)
        if let snapshotProblem { failures.append(.init(blob: "", studyInstanceUID: "", problem: snapshotProblem)) }
        let rate = seconds > 0 && bytes > 0 ? Double(bytes) / seconds : 0
        let total = try await catalog.confirmedBytes(target: target.name)
        let lastDay = try await catalog.confirmedBytes(target: target.name, receivedSince: started.addingTimeInterval(-86400))
        let lag = try await catalog.replicationStatus().first { $0.name == target.name }?.recoveryPointSeconds ?? 0
        return DrillReport(target: target.name, startedAt: started, seconds: seconds, passed: failures.isEmpty && !items.isEmpty, studies: studies,
                           newestDay: options.newestDay, instances: items.count, bytes: bytes, bytesPerSecond: rate, snapshot: snapshot,
                           snapshotAgeSeconds: age, fullRestoreSeconds: rate > 0 ? Double(total) / rate : nil,
                           last24HoursSeconds: rate > 0 ? Double(lastDay) / rate : nil, recoveryPointSeconds: lag,
                           failures: items.isEmpty ? [.init(blob: "", studyInstanceUID: "", problem: "the target has confirmed nothing to restore")] + failures
                                                   : failures)
    }

    /// Reads one copy back; nil when it came back whole and hashing to its name.
    private func check(_ item: DrillItem, into directory: String) async -> String? {
        do {
            guard let staged = try await target.fetch(item.blob, into: directory) else { return "missing at \(target.name)" }
            staged.discard()
            guard staged.id == item.blob else { return "came back as \(staged.id.hex.prefix(16))…, not its name" }
            guard staged.size == item.size else { return "came back with \(staged.size) bytes, not \(item.size)" }
            return nil
        } catch {
            return "cannot be read from \(target.name): \(error)"
        }
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
