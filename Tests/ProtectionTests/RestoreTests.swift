@testable import Archive
import Foundation
import GRDB
import NIOCore
import Protection
import Replication
import S3
import TestSupport
import Testing

/// Restores into an empty directory from a real directory target and a real S3 API (moto),
/// and the ransomware drill against an object-locked bucket.
@Suite(.serialized) struct RestoreTests { // one moto at a time, as ScrubTests
    /// A site of three studies: a catalog snapshot at the targets after the first two, the
    /// third known to the targets only by its manifest.
    struct Site {
        let fixture: ScrubTests.Fixture
        let blobs: [BlobID]

        init(lock: (mode: S3Client.PutOptions.LockMode, days: Int)? = nil) async throws {
            fixture = try await ScrubTests.Fixture(lock: lock, authenticated: false)
            let snapshot = fixture.site.root + "/snapshot.sqlite"
            try await fixture.site.archive.catalog.snapshot(to: snapshot)
            for target in [fixture.nas as any ReplicationTarget, fixture.offsite] {
                try await target.put(snapshot: snapshot, name: "20261122T000000Z.sqlite")
            }
            blobs = try await fixture.site.store(6, study: "1.2.826.0.20.3", pixels: 8192)
            let nas = fixture.nas.root, s3 = fixture.s3
            try await fixture.site.replicate([fixture.nas, fixture.offsite]) {
                // Done once every study's manifest is written at both.
                let keys = (1...3).map { TargetLayout.manifestKey("1.2.826.0.20.\($0)") }
                guard keys.allSatisfy({ FileManager.default.fileExists(atPath: "\(nas)/\($0)") }) else { return false }
                for key in keys where try await s3.head(key) == nil { return false }
                return true
            }
        }
    }

    static func scratch() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("restored-\(UUID().uuidString)").path }

    /// Every version of the original is in the restored archive, with bytes that hash to its name.
    static func expectWhole(_ root: String, like original: TestArchive) async throws {
        let restored = try LocalArchive(root: root)
        let want = try await original.blobs()
        #expect(try await Array(restored.catalog.blobs(withPrefix: "")).sorted() == want)
        for blob in want { #expect(try await restored.blobs.verify(blob), "\(blob) back intact") }
        #expect(try await restored.catalog.counts() == original.archive.catalog.counts())
    }

    @Test(arguments: ["nas", "offsite"]) func anEmptyDirectoryBecomesTheWholeArchiveAgain(from name: String) async throws {
        let site = try await Site()
        let target: any ReadableTarget = name == "nas" ? site.fixture.nas : site.fixture.offsite
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try await Restorer(target: target, root: root).run(.init(concurrency: 4))
        print("restore from \(name): \(report.restored) blobs, \(report.bytes) bytes, \(report.beyondSnapshot) beyond the snapshot, last day back after \(report.recentBackAfter ?? -1) of \(report.seconds) s")
        #expect(report.snapshot == "catalog/20261122T000000Z.sqlite")
        #expect(report.beyondSnapshot == 6, "the third study, listed only by its manifest")
        #expect(report.restored == 36 && report.failed.isEmpty && report.versions == 36)
        #expect(report.recentVersions == 36 && report.recentBackAfter != nil)
        #expect(!FileManager.default.fileExists(atPath: Restorer.markerPath(in: root)), "finished")
        try await Self.expectWhole(root, like: site.fixture.site)

        // Run again: nothing to do, and an archive it did not make is never overwritten.
        await #expect(throws: Restorer.Failure.self) { try await Restorer(target: target, root: root).run(.init()) }
    }

    /// Manifests are written once a study's versions are all at the target; the change log
    /// every minute whatever the study: a restore reads both.
    @Test func theChangeLogBringsBackWhatNoManifestListsYet() async throws {
        let site = try await Site()
        let nas = site.fixture.nas
        let replicator = Replicator(targets: [nas], catalog: site.fixture.site.archive.catalog, store: try site.fixture.site.archive.catalog.replicas, blobs: site.fixture.site.archive.blobs,
                                    changeLog: .milliseconds(100))
        let shipping = Task { await replicator.drain() }
        defer { shipping.cancel() }
        func logged() throws -> [CatalogChange] {
            try FileManager.default.contentsOfDirectory(atPath: nas.root + "/changes").sorted().flatMap { name in
                try (FileManager.default.contents(atPath: "\(nas.root)/changes/\(name)") ?? Data()).split(separator: UInt8(ascii: "\n")).map {
                    try JSONDecoder().decode(CatalogChange.self, from: Data($0))
                }
            }
        }
        try await Polling.waitUntil(seconds: 30) { try logged().count >= 36 }
        shipping.cancel()
        #expect(try logged().count == 36, "each confirmed version once")
        #expect(Set(try logged().map(\.sha256)) == Set(try await site.fixture.site.blobs().map(\.hex)))
        // The manifests lag (here: are gone); the change log alone names the third study's instances.
        for name in try FileManager.default.contentsOfDirectory(atPath: nas.root + "/studies") { try FileManager.default.removeItem(atPath: "\(nas.root)/studies/\(name)") }
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try await Restorer(target: nas, root: root).run(.init())
        #expect(report.beyondSnapshot == 6 && report.stragglers == 0 && report.failed.isEmpty)
        try await Self.expectWhole(root, like: site.fixture.site)
    }

    @Test func anInterruptedRestoreGoesOnWhereItStopped() async throws {
        let site = try await Site()
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let restorer = Restorer(target: site.fixture.nas, root: root)
        let first = Task { try await restorer.run(.init(concurrency: 1)) { progress in
            if progress.whole.done >= 10 { withUnsafeCurrentTask { $0?.cancel() } }
        } }
        _ = try? await first.value
        #expect(FileManager.default.fileExists(atPath: Restorer.markerPath(in: root)), "still marked as under way")
        let report = try await restorer.run(.init())
        #expect(report.alreadyHere >= 10 && report.restored + report.alreadyHere == 36, "\(report.restored) fetched, \(report.alreadyHere) already here")
        try await Self.expectWhole(root, like: site.fixture.site)
    }

    @Test func aRestoreStoppedWhileTheSnapshotCameDownStartsThatAgain() async throws {
        let site = try await Site()
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data("restoring".utf8).write(to: URL(fileURLWithPath: Restorer.markerPath(in: root)))
        try Data("half a snapshot".utf8).write(to: URL(fileURLWithPath: LocalArchive.catalogPath(in: root) + ".partial"))
        let report = try await Restorer(target: site.fixture.nas, root: root).run(.init())
        #expect(report.snapshot == "catalog/20261122T000000Z.sqlite" && report.failed.isEmpty)
        try await Self.expectWhole(root, like: site.fixture.site)
    }

    @Test func namedStudiesComeFirstThenTheLastDayThenNewestToOldest() async throws {
        let site = try TestArchive()
        try await site.store(2, study: "1.2.826.0.40.1")
        try await site.store(2, study: "1.2.826.0.40.2")
        let cut = Date()
        try await Polling.waitUntil(seconds: 5) { Date().timeIntervalSince(cut) > 0.01 }
        try await site.store(2, study: "1.2.826.0.40.3")
        try await site.store(2, study: "1.2.826.0.40.4")
        try await site.archive.catalog.pool.write { db in // the oldest, received with study 2
            try db.execute(sql: "UPDATE study SET lastReceivedAt = (SELECT lastReceivedAt FROM study WHERE studyInstanceUID = '1.2.826.0.40.2') WHERE studyInstanceUID = '1.2.826.0.40.4'")
            try db.execute(sql: "UPDATE version SET receivedAt = ? WHERE instanceRef IN (SELECT i.id FROM instance i JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id WHERE s.studyInstanceUID = '1.2.826.0.40.4')",
                           arguments: [Catalog.timestamp.format(cut.addingTimeInterval(-1))])
        }
        let catalog = site.archive.catalog
        var order = try await catalog.urgentRestoreItems(recentSince: cut, first: ["P-1.2.826.0.40.1"]).map(\.studyInstanceUID)
        #expect(order == ["1.2.826.0.40.1", "1.2.826.0.40.1", "1.2.826.0.40.3", "1.2.826.0.40.3"])
        // The rest a study at a time, newest first (two received at the same moment: by id, the later first).
        var cursor: RestoreCursor?
        repeat {
            let page = try await catalog.restorePage(after: cursor, studies: 1, recentSince: cut, first: ["P-1.2.826.0.40.1"])
            order += page.items.map(\.studyInstanceUID)
            cursor = page.next
        } while cursor != nil
        #expect(order == ["1.2.826.0.40.1", "1.2.826.0.40.1", "1.2.826.0.40.3", "1.2.826.0.40.3",
                          "1.2.826.0.40.4", "1.2.826.0.40.4", "1.2.826.0.40.2", "1.2.826.0.40.2"])
    }

    /// Ransomware with write rights to the bucket overwrites objects after T; the restore as
    /// of T gets back every original, and a locked version cannot be deleted.
    @Test func theRansomwareDrill() async throws {
        let site = try await Site(lock: (.governance, 1))
        let s3 = site.fixture.s3
        let moment = Date()
        // S3 keeps times to the second: the attack starts over a second after T, so its versions' times are later than T.
        try await Polling.waitUntil(seconds: 5) { Date().timeIntervalSince(moment) > 1.1 }
        let encrypted = { (length: Int) in ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255) }) }
        let all = try await site.fixture.site.blobs()
        let attacked = Array(all.shuffled().prefix(all.count / 3))
        for blob in attacked { try await s3.put(TargetLayout.blobKey(blob), bytes: encrypted(8192)) }
        for key in ["catalog/20261122T000000Z.sqlite", TargetLayout.manifestKey("1.2.826.0.20.3")] { try await s3.put(key, bytes: encrypted(4096)) }
        // …and the local archive is encrypted too: it is not what the restore reads.
        for blob in attacked { try Data(encrypted(64).readableBytesView).write(to: URL(fileURLWithPath: try #require(site.fixture.site.archive.blobs.localPath(of: blob)))) }

        let victim = TargetLayout.blobKey(try #require(attacked.first))
        let original = try #require(try await s3.versions(prefix: victim).last)
        await #expect(throws: S3Error.self, "a version under object lock cannot be deleted") { try await s3.delete(victim, versionID: original.versionID) }

        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let report = try await Restorer(target: site.fixture.offsite, root: root).run(.init(asOf: moment))
        #expect(report.snapshot == "catalog/20261122T000000Z.sqlite" && report.beyondSnapshot == 6 && report.failed.isEmpty)
        let restored = try LocalArchive(root: root)
        #expect(try await Array(restored.catalog.blobs(withPrefix: "")).sorted() == all)
        for blob in all { #expect(try await restored.blobs.verify(blob), "\(blob) back as it was before the attack") }
    }
}
