import Archive
import Foundation
import NIOCore
import Protection
import Replication
import S3
import TestSupport
import Testing

/// The scrub against a real archive (SQLite catalog, blob files), a real directory target
/// and a real S3 API (moto): damage is done to copies by hand, and every bad copy must be
/// found, and healed from a good one.
@Suite(.serialized) struct ScrubTests { // one moto at a time: a dozen starting at once hold up the whole run
    enum Damage: CaseIterable { case flipBit, truncate, delete }

    /// Damages a file on disk: one bit flipped, cut to half, or removed.
    static func damage(_ path: String, _ damage: Damage) throws {
        switch damage {
        case .flipBit:
            var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
            bytes[bytes.count / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case .truncate:
            let bytes = try #require(FileManager.default.contents(atPath: path))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        case .delete:
            try FileManager.default.removeItem(atPath: path)
        }
    }

    /// The same damage to an object on S3: other bytes under its name, half of them, or none.
    static func damage(_ key: String, on s3: S3Client, _ damage: Damage) async throws {
        let bytes = Array(try await s3.get(key).readableBytesView)
        switch damage {
        case .flipBit:
            var flipped = bytes
            flipped[bytes.count / 2] ^= 0x10
            try await s3.put(key, bytes: ByteBuffer(bytes: flipped))
        case .truncate: try await s3.put(key, bytes: ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
        case .delete: try await s3.delete(key)
        }
    }

    static func problem(for damage: Damage) -> IntegrityFinding.Problem {
        switch damage {
        case .flipBit: .corrupt
        case .truncate: .wrongSize
        case .delete: .missing
        }
    }

    static func s3(_ moto: MotoServer, bucket: String) throws -> S3Client {
        S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: bucket)),
                 credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey), timeout: .seconds(20))
    }

    /// An archive of 30 instances in two studies, replicated to a directory and to moto.
    struct Fixture {
        let site: TestArchive
        let integrity: SQLiteIntegrityStore
        let replicas: SQLiteReplicationStore
        let nas: FileSystemTarget
        let offsite: S3Target
        let s3: S3Client
        let blobs: [BlobID]
        let moto: MotoServer

        /// `authenticated`: moto checks signatures, which it cannot for listings of a folder (see MotoServer).
        init(lock: (mode: S3Client.PutOptions.LockMode, days: Int)? = nil, authenticated: Bool = true) async throws {
            moto = try await MotoServer(authenticated: authenticated)
            s3 = try ScrubTests.s3(moto, bucket: "offsite")
            try await s3.createBucket(objectLock: lock != nil)
            site = try TestArchive()
            integrity = try SQLiteIntegrityStore(pool: site.archive.catalog.pool)
            replicas = try site.archive.catalog.replicas
            nas = try FileSystemTarget(name: "nas", root: site.root + "-nas")
            offsite = S3Target(name: "offsite", client: s3, lock: lock, concurrency: 4)
            _ = try await site.store(20, study: "1.2.826.0.20.1", pixels: 8192)
            blobs = try await site.store(10, study: "1.2.826.0.20.2", pixels: 8192)
            try await site.replicate([nas, offsite])
        }

        func scrubber(targets: [any ReadableTarget]? = nil, heal: Bool = true, onFinding: @escaping @Sendable (IntegrityFinding) -> Void = { _ in }) -> Scrubber {
            Scrubber(blobs: site.archive.blobs, staging: site.archive.blobs.stagingDirectory, catalog: site.archive.catalog, replicas: replicas,
                     integrity: integrity, targets: targets ?? [nas, offsite], heal: heal, onFinding: onFinding)
        }

        /// Nine distinct blobs picked at random, three for each kind of damage.
        func sample() -> [(BlobID, Damage)] {
            Array(zip(blobs.shuffled().prefix(9), Damage.allCases.flatMap { Array(repeating: $0, count: 3) }))
        }
    }

    @Test func everyDamagedLocalBlobIsFoundAndHealedFromATarget() async throws {
        let fixture = try await Fixture()
        let sample = fixture.sample()
        for (blob, damage) in sample { try Self.damage(try #require(fixture.site.archive.blobs.localPath(of: blob)), damage) }

        let report = await fixture.scrubber().pass(over: .local, options: .init(parallelism: 2))
        print("local scrub:", report.summary)
        #expect(report.complete && report.checked == 30)
        #expect(Set(report.findings.map(\.blob)) == Set(sample.map(\.0)), "every damaged blob found, and none other")
        for (blob, damage) in sample {
            #expect(report.findings.first { $0.blob == blob }?.problem == Self.problem(for: damage), "\(damage) of \(blob)")
        }
        #expect(report.healed == 9)
        for blob in fixture.blobs { #expect(try await fixture.site.archive.blobs.verify(blob), "\(blob) intact again") }
        #expect(try await fixture.integrity.findings().filter { $0.healedAt != nil }.count == 9, "kept in the catalog")

        let again = await fixture.scrubber().pass(over: .local, options: .init())
        #expect(again.found == 0, "a second pass finds nothing")
    }

    @Test func everyDamagedCopyAtATargetIsFoundAndPutRight() async throws {
        let fixture = try await Fixture()
        let atNAS = fixture.sample(), atS3 = fixture.sample()
        for (blob, damage) in atNAS { try Self.damage("\(fixture.nas.root)/\(TargetLayout.blobKey(blob))", damage) }
        for (blob, damage) in atS3 { try await Self.damage(TargetLayout.blobKey(blob), on: fixture.s3, damage) }

        let scrubber = fixture.scrubber()
        for (target, sample) in [(fixture.nas as any ReadableTarget, atNAS), (fixture.offsite, atS3)] {
            let report = await scrubber.pass(over: .target(target), options: .init(readBackEvery: 1, parallelism: 2))
            print("\(target.name) scrub:", report.summary)
            #expect(report.complete && report.checked == 30)
            #expect(Set(report.findings.map(\.blob)) == Set(sample.map(\.0)))
            for (blob, damage) in sample { #expect(report.findings.first { $0.blob == blob }?.problem == Self.problem(for: damage)) }
            #expect(report.healed == 9 && report.findings.allSatisfy { $0.healedFrom == "local" })
            for blob in fixture.blobs {
                let copy = try await target.fetch(blob, into: fixture.site.archive.blobs.stagingDirectory)
                copy?.discard()
                #expect(copy?.id == blob, "\(target.name) holds \(blob) intact again")
            }
        }
    }

    @Test func withoutReadingBackS3sOwnChecksumStillShowsAChangedObject() async throws {
        let fixture = try await Fixture()
        let blob = try #require(fixture.blobs.first)
        try await Self.damage(TargetLayout.blobKey(blob), on: fixture.s3, .flipBit)
        let report = await fixture.scrubber(heal: false).pass(over: .target(fixture.offsite), options: .init(readBackEvery: 0))
        #expect(report.bytesRead == 0, "nothing read back")
        #expect(report.findings.map(\.problem) == [.corrupt] && report.findings.first?.blob == blob)
    }

    @Test func aBadLocalBlobIsHealedFromTheOtherTargetWhenOneTargetsCopyIsBadToo() async throws {
        let fixture = try await Fixture()
        let blob = try #require(fixture.blobs.last)
        try Self.damage(try #require(fixture.site.archive.blobs.localPath(of: blob)), .flipBit)
        try Self.damage("\(fixture.nas.root)/\(TargetLayout.blobKey(blob))", .flipBit)
        let report = await fixture.scrubber().pass(over: .target(fixture.nas), options: .init(readBackEvery: 1))
        #expect(report.findings.count == 1 && report.findings.first?.healedFrom == "offsite", "the NAS copy rebuilt from S3's, through the local blob")
        #expect(try await fixture.site.archive.blobs.verify(blob))
    }

    @Test func aBlobWithNoGoodCopyAnywhereIsRaised() async throws {
        let fixture = try await Fixture()
        let blob = try #require(fixture.blobs.first)
        try Self.damage(try #require(fixture.site.archive.blobs.localPath(of: blob)), .truncate)
        try Self.damage("\(fixture.nas.root)/\(TargetLayout.blobKey(blob))", .flipBit)
        try await Self.damage(TargetLayout.blobKey(blob), on: fixture.s3, .delete)
        let told = Told()
        let report = await fixture.scrubber { told.add($0) }.pass(over: .local, options: .init())
        #expect(report.unrecoverable == 1 && report.healed == 0)
        #expect(report.summary.contains("1 WITH NO GOOD COPY ANYWHERE"), "\(report.summary)")
        #expect(told.findings.last?.unrecoverable == true, "raised to whoever listens (the audit trail, alerts)")
        #expect(try await fixture.integrity.findings().first?.unrecoverable == true)
    }

    @Test func aWriteOnceTargetWhoseCopiesAreNotLockedIsFoundAndRelocked() async throws {
        // Copies put without a lock into a bucket that has object lock, then scrubbed as write-once.
        let fixture = try await Fixture(lock: nil)
        let locked = try Self.s3(fixture.moto, bucket: "locked")
        try await locked.createBucket(objectLock: true)
        let plain = S3Target(name: "vault", client: locked)
        try await fixture.site.replicate([fixture.nas, fixture.offsite, plain])
        let vault = S3Target(name: "vault", client: locked, lock: (.governance, 1))
        let report = await fixture.scrubber(targets: [vault]).pass(over: .target(vault), options: .init(readBackEvery: 0, parallelism: 2))
        #expect(report.found == 30 && report.count(.notLocked) == 30)
        #expect(report.healed == 30)
        let first = try #require(fixture.blobs.first)
        let info = try #require(try await locked.head(TargetLayout.blobKey(first)))
        #expect(info.lockMode == "GOVERNANCE")
        let again = await fixture.scrubber(targets: [vault]).pass(over: .target(vault), options: .init(readBackEvery: 0))
        #expect(again.found == 0)
    }

    @Test func aScheduledScrubGoesOnAfterARestartWhereItStopped() async throws {
        let fixture = try await Fixture()
        // 30 blobs of ~8 KB at 20 KB/s, five at a time: a pass takes ~12 s; it is stopped after a batch.
        let pace = ScrubPace(period: .seconds(3600), maxBytesPerSecond: 20_000)
        let scrubber = fixture.scrubber()
        let first = Task { await scrubber.pass(over: .local, options: .init(pace: pace, batchSize: 5)) }
        try await Polling.waitUntil(seconds: 30) { (try await fixture.integrity.scrubCursor(place: "local"))?.lastVersion ?? 0 > 0 }
        first.cancel()
        let stopped = await first.value
        #expect(!stopped.complete)
        let cursor = try #require(try await fixture.integrity.scrubCursor(place: "local"))
        #expect(cursor.completedPasses == 0 && cursor.checkedBytes > 0)

        let fast = ScrubPace(period: .seconds(1), maxBytesPerSecond: 0)
        let resumed = await scrubber.pass(over: .local, options: .init(pace: fast, batchSize: 5))
        #expect(resumed.complete)
        #expect(resumed.checked == 30 - stopped.checked, "the rest of the pass, not the whole again: \(stopped.checked) then \(resumed.checked)")
        let next = try #require(try await fixture.integrity.scrubCursor(place: "local"))
        #expect(next.completedPasses == 1 && next.lastVersion == 0 && next.lastPassEndedAt != nil)
    }
}

/// Collects what a scrubber tells.
final class Told: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var all: [IntegrityFinding] = []
    func add(_ finding: IntegrityFinding) { lock.withLock { all.append(finding) } }
    var findings: [IntegrityFinding] { lock.withLock { all } }
}
