@testable import Archive
import Foundation
import GRDB
import Protection
import Replication
import Synchronization
import TestSupport
import Testing

/// The newest day first, whatever the archive's size: a site whose old studies arrived ten
/// days ago (in last night's catalog snapshot, their manifests and change log written then)
/// and whose newest studies arrived since the snapshot (known to the target by the change
/// log and their manifests only), restored at two sizes — the second with ten times the old
/// studies. Everything the restore asks of the target is recorded in order.
@Suite(.serialized) struct RestoreOrderTests {
    /// A directory target that notes each request made of it and answers each after a round
    /// trip's time, as an object store does (tens of milliseconds to S3): what a restore asks
    /// before the newest day is back then costs what it would, well above the noise of a
    /// shared machine.
    final class Watched: ReadableTarget {
        static let roundTrip: Duration = .milliseconds(20)
        let inner: FileSystemTarget
        let requests = Mutex<[String]>([])
        /// What had been asked when the newest day was back.
        let atRecent = Mutex<[String]?>(nil)
        init(inner: FileSystemTarget) { self.inner = inner }
        var name: String { inner.name }
        var concurrency: Int { inner.concurrency }

        func noted() -> [String] { requests.withLock { $0 } }
        private func note(_ request: String) async {
            requests.withLock { $0.append(request) }
            try? await Task.sleep(for: Self.roundTrip)
        }

        func put(_ blobs: [OutboundBlob]) async -> [Result<Void, ReplicationError>] { await inner.put(blobs) }
        func inspect(_ blob: BlobID) async throws(ReplicationError) -> RemoteCopy? { try await inner.inspect(blob) }
        func fetch(_ blob: BlobID, into directory: String) async throws(ReplicationError) -> StagedBlob? {
            await note("GET \(blob.hex)")
            return try await inner.fetch(blob, into: directory)
        }
        func files(under folder: String, asOf moment: Date?, after key: String?) async throws(ReplicationError) -> [TargetFile] {
            await note("LIST \(folder)")
            return try await inner.files(under: folder, asOf: moment, after: key)
        }
        func read(_ file: TargetFile, to path: String) async throws(ReplicationError) {
            await note("READ \(file.key)")
            try await inner.read(file, to: path)
        }
        func blobIDs(asOf moment: Date?) async throws(ReplicationError) -> [BlobID] {
            await note("LIST blobs/")
            return try await inner.blobIDs(asOf: moment)
        }
        func repair(with local: OutboundBlob) async throws(ReplicationError) { try await inner.repair(with: local) }
    }

    struct Site {
        let archive: TestArchive
        let target: Watched
        let recent: Set<BlobID>

        init(oldStudies: Int) async throws {
            archive = try TestArchive()
            let nas = try FileSystemTarget(name: "nas", root: archive.root + "-nas")
            for study in 1...oldStudies { try await archive.store(1, study: "1.2.826.0.60.\(study)", pixels: 1024) }
            // Ten days ago: received, replicated, their manifests and change log written.
            let tenDaysAgo = Date().addingTimeInterval(-10 * 86400)
            try await archive.archive.catalog.pool.write { db in
                try db.execute(sql: "UPDATE version SET receivedAt = ?", arguments: [Catalog.timestamp.format(tenDaysAgo)])
                try db.execute(sql: "UPDATE study SET lastReceivedAt = ?", arguments: [Catalog.timestamp.format(tenDaysAgo)])
            }
            try await Self.replicateWithChangeLog(archive, to: nas, versions: oldStudies, studies: oldStudies)
            for name in try FileManager.default.contentsOfDirectory(atPath: nas.root + "/changes") {
                try FileManager.default.moveItem(atPath: "\(nas.root)/changes/\(name)", toPath: "\(nas.root)/changes/20261101T000000Z-\(name)")
            }
            // Last night's snapshot, two hours ago.
            let snapshot = archive.root + "/snapshot.sqlite"
            try await archive.archive.catalog.snapshot(to: snapshot)
            try await nas.put(snapshot: snapshot, name: TargetLayout.timeName(Date().addingTimeInterval(-7200)) + ".sqlite")
            // Since then: five studies of two instances, by the change log and their manifests.
            let old = Set(try await archive.blobs())
            for study in 1...5 { try await archive.store(2, study: "1.2.826.0.61.\(study)", pixels: 4096) }
            try await Self.replicateWithChangeLog(archive, to: nas, versions: oldStudies + 10, studies: oldStudies + 5)
            recent = Set(try await archive.blobs()).subtracting(old)
            // The old studies' manifests as written ten days ago (a manifest rewritten since,
            // its write cut short by the stop above, is set back too).
            for name in try FileManager.default.contentsOfDirectory(atPath: nas.root + "/studies") where name.hasPrefix("1.2.826.0.60.") {
                try FileManager.default.setAttributes([.modificationDate: tenDaysAgo], ofItemAtPath: "\(nas.root)/studies/\(name)")
            }
            target = Watched(inner: nas)
        }

        /// Replicates until the change log names `versions` versions and `studies` manifests are written.
        static func replicateWithChangeLog(_ archive: TestArchive, to nas: FileSystemTarget, versions: Int, studies: Int) async throws {
            let replicator = Replicator(targets: [nas], catalog: archive.archive.catalog, store: try archive.archive.catalog.replicas, blobs: archive.archive.blobs, changeLog: .milliseconds(50))
            try await replicator.activate()
            let running = Task { await replicator.drain() }
            try await Polling.waitUntil(seconds: 60) {
                let lines = try FileManager.default.contentsOfDirectory(atPath: nas.root + "/changes").reduce(0) { count, name in
                    count + (FileManager.default.contents(atPath: "\(nas.root)/changes/\(name)") ?? Data()).split(separator: UInt8(ascii: "\n")).count
                }
                return try lines >= versions && FileManager.default.contentsOfDirectory(atPath: nas.root + "/studies").count >= studies
            }
            running.cancel()
            await running.value
        }

        /// Restores into a new directory; what the target was asked before the newest day was
        /// back, and how long that took once the catalog was in place (its snapshot, copied
        /// first, is as large as the archive's catalog: the one read that must grow with it).
        func restore() async throws -> (before: [String], seconds: TimeInterval, report: Restorer.Report) {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("restored-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            let target = target
            target.atRecent.withLock { $0 = nil }
            target.requests.withLock { $0 = [] }
            let report = try await Restorer(target: target, root: root).run(.init()) { progress in
                if progress.recent.finishedAfter != nil { target.atRecent.withLock { $0 = $0 ?? target.noted() } }
            }
            try await RestoreTests.expectWhole(root, like: archive)
            return (try #require(target.atRecent.withLock { $0 }), try #require(report.recentBackAfter) - report.catalogAfter, report)
        }
    }

    @Test func theNewestDayComesFirstAndAsSoonInATenTimesLargerArchive() async throws {
        let small = try await Site(oldStudies: 20)
        let large = try await Site(oldStudies: 200)
        // Each restored five times, in turn; the quickest of each compared: the machine is
        // shared, and a stall of a few tens of milliseconds is as long as what is measured.
        var ones: [(before: [String], seconds: TimeInterval, report: Restorer.Report)] = [], tens = ones
        for _ in 0..<5 {
            ones.append(try await small.restore())
            tens.append(try await large.restore())
        }
        let one = try #require(ones.min { $0.seconds < $1.seconds }), ten = try #require(tens.min { $0.seconds < $1.seconds })
        for (site, run) in [(small, one), (large, ten)] {
            let fetched = run.before.filter { $0.hasPrefix("GET ") }.compactMap { BlobID(hex: String($0.dropFirst(4))) }
            #expect(Set(fetched) == site.recent && fetched.count == 10, "only the newest day's blobs were fetched before it was back")
            #expect(run.report.recentVersions == 10 && run.report.beyondSnapshot == 10 && run.report.failed.isEmpty)
            #expect(!run.before.contains { $0.hasPrefix("READ studies/1.2.826.0.60.") }, "no old study's manifest was read before the newest day was back")
        }
        print(String(format: "newest day back %.3f s after the catalog (%.3f s after the start), %d requests, at 20 old studies; %.3f s (%.3f s), %d requests, at 200",
                     one.seconds, one.report.recentBackAfter ?? 0, one.before.count, ten.seconds, ten.report.recentBackAfter ?? 0, ten.before.count))
        // Nothing asked whose number grows with the old studies: two listings, the snapshot,
        // the change log's segments since it (as many as the replicator happened to write
        // for the newest studies) and the newest studies' blobs; the manifests wait.
        for (site, run) in [(small, one), (large, ten)] {
            let sinceSnapshot = try FileManager.default.contentsOfDirectory(atPath: site.target.inner.root + "/changes").filter { !$0.hasPrefix("20261101T") }
            #expect(run.before.filter { $0.hasPrefix("READ changes/") }.count == sinceSnapshot.count, "only the segments written since the snapshot")
            let unexpected = run.before.filter { request in
                !(["LIST catalog/", "LIST changes/"].contains(request) || request.hasPrefix("READ catalog/")
                  || request.hasPrefix("READ changes/") || request.hasPrefix("GET "))
            }
            #expect(unexpected.isEmpty, "asked before the newest day was back: \(unexpected)")
            #expect(run.before.filter { $0.hasPrefix("READ catalog/") }.count == 1)
        }
        // Time, as a ratio only (a shared machine): the old way read every manifest first,
        // after the catalog and before the first blob.
        #expect(ten.seconds / one.seconds < 3, "\(ten.seconds) s against \(one.seconds) s")
    }
}
