import Archive
@testable import Continuity
import Foundation
import Replication
import S3
import TestSupport
import Testing

/// Recovery drills against a real directory target and a real S3 API (moto): they pass and
/// keep their evidence, and fail — raising an alert — when a copy is damaged or gone.
@Suite(.serialized) struct DrillTests {
    let site: TestArchive
    let nas: FileSystemTarget

    init() throws {
        site = try TestArchive()
        nas = try FileSystemTarget(name: "nas", root: site.root + "-nas")
    }

    /// Three studies of four instances, replicated, with a catalog snapshot at the target.
    func stock(_ targets: [any ReplicationTarget]) async throws {
        for study in 1...3 { try await site.store(4, study: "1.2.826.0.1.3680043.10.90.\(study)", pixels: 16 << 10) }
        try await site.replicate(targets)
        let snapshot = site.root + "/snapshot.sqlite"
        try await site.archive.catalog.snapshot(to: snapshot)
        for target in targets { try await target.put(snapshot: snapshot, name: "20261122T000000Z.sqlite") }
    }

    func runner(_ targets: [any ReadableTarget], webhook: AlertSink) throws -> DrillRunner {
        DrillRunner(replicas: try site.archive.catalog.replicas, store: try SQLiteDrillStore(pool: site.archive.catalog.pool), targets: targets,
                    alerter: Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "LIFEBOAT", channels: [WebhookNotifier(url: "http://127.0.0.1:\(webhook.port)/")]),
                    dataDirectory: site.root)
    }

    @Test func aDrillFromADirectoryPassesAndKeepsItsEvidence() async throws {
        try await stock([nas])
        let webhook = try await AlertSink(.webhook)
        let reports = await (try runner([nas], webhook: webhook)).run(studies: 2, newestDay: false)
        let report = try #require(reports.first)
        print(report.summary)
        #expect(report.passed && report.failures.isEmpty)
        #expect(report.studies.count == 2 && report.instances == 8, "two studies of four")
        #expect(report.bytes > 0 && report.bytesPerSecond > 0)
        // The whole target (12 instances) at the measured rates: the snapshot's read and the
        // change log's (here a listing that finds no segment, a millisecond or, on a loaded
        // machine, more), then half again as long as the 8 read (the instances are all of one size).
        let full = try #require(report.fullRestoreSeconds), snapshotRead = try #require(report.snapshotSeconds)
        let changeLogRead = try #require(report.changeLogSeconds)
        let whole = try await site.archive.catalog.replicas.confirmedTotals(target: "nas")
        #expect(whole.versions == 12 && abs(full - snapshotRead - changeLogRead - report.seconds * 12 / 8) < 0.001,
                "full \(full) s, snapshot \(snapshotRead) s, change log \(changeLogRead) s, 8 read in \(report.seconds) s")
        #expect(report.last24HoursSeconds == report.fullRestoreSeconds, "everything arrived today")
        #expect(report.snapshot == "catalog/20261122T000000Z.sqlite" && report.snapshotAgeSeconds != nil)
        // The evidence: in the catalog and as JSON; nothing left in the scratch directory.
        let kept = try await SQLiteDrillStore(pool: site.archive.catalog.pool).drills()
        #expect(kept.count == 1 && kept[0].passed && kept[0].target == "nas" && kept[0].report.contains("\"bytesPerSecond\""))
        let files = try FileManager.default.contentsOfDirectory(atPath: site.root + "/drills")
        #expect(files.count == 1 && files[0].hasSuffix("-nas.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.root + "/tmp").allSatisfy { !$0.hasPrefix("drill-") })
        #expect(webhook.received().isEmpty, "a passing drill with nothing open tells no one")

        // The newest day: every version received in the last 24 hours.
        let day = try #require(await (try runner([nas], webhook: webhook)).run(studies: 1, newestDay: true).first)
        #expect(day.passed && day.instances == 12 && day.newestDay)
    }

    @Test func theScheduleDrillsATargetOnceItHoldsSomething() async throws {
        let webhook = try await AlertSink(.webhook)
        let other = try FileSystemTarget(name: "empty", root: site.root + "-empty")
        try await stock([nas])
        let schedule = Task { [runner = try runner([nas, other], webhook: webhook)] in
            await runner.runScheduled(every: .seconds(86400), studies: 1, newestDayEvery: 1, firstAfter: .zero)
        }
        defer { schedule.cancel() }
        try await Polling.waitUntil(seconds: 30) { try await SQLiteDrillStore(pool: site.archive.catalog.pool).drills().count == 1 }
        let drill = try #require(try await SQLiteDrillStore(pool: site.archive.catalog.pool).drills().first)
        #expect(drill.target == "nas" && drill.passed, "the target that has confirmed nothing is left out, not failed")
        #expect(drill.report.contains("\"newestDay\" : true"), "the first of every one: the newest day too")
        #expect(webhook.received().isEmpty)
    }

    @Test func aDamagedOrMissingCopyFailsTheDrillAndRaisesAnAlertUntilOnePasses() async throws {
        try await stock([nas])
        let webhook = try await AlertSink(.webhook)
        let blobs = try await site.blobs()
        let (damaged, gone) = (blobs[0], blobs[1])
        let damagedPath = nas.root + "/" + TargetLayout.blobKey(damaged)
        let original = try Data(contentsOf: URL(fileURLWithPath: damagedPath))
        var flipped = original
        flipped[600] ^= 0xFF
        try flipped.write(to: URL(fileURLWithPath: damagedPath))
        try FileManager.default.removeItem(atPath: nas.root + "/" + TargetLayout.blobKey(gone))

        let report = try #require(await (try runner([nas], webhook: webhook)).run(studies: 3, newestDay: true).first)
        #expect(!report.passed)
        #expect(report.failures.contains { $0.blob == damaged.hex && $0.problem.contains("not its name") })
        #expect(report.failures.contains { $0.blob == gone.hex && $0.problem == "missing at nas" })
        #expect(report.failures.count == 2 && report.instances == 12)
        let alert = try #require(webhook.received().last?["body"] as? [String: Any])
        #expect(alert["key"] as? String == "drill-failed:nas" && alert["severity"] as? String == "critical" && alert["state"] as? String == "firing")
        #expect((alert["detail"] as? String)?.contains("missing at nas") == true)
        #expect(try await SQLiteDrillStore(pool: site.archive.catalog.pool).drills().first?.passed == false)

        // Put right (the copies written again from the good local blobs): the next drill passes and the alert is resolved.
        try original.write(to: URL(fileURLWithPath: damagedPath))
        try FileManager.default.copyItem(atPath: try #require(site.archive.blobs.localPath(of: gone)), toPath: nas.root + "/" + TargetLayout.blobKey(gone))
        let again = try #require(await (try runner([nas], webhook: webhook)).run(studies: 3, newestDay: true).first)
        #expect(again.passed)
        #expect((webhook.received().last?["body"] as? [String: Any])?["state"] as? String == "resolved")
    }

    @Test func aDrillFromS3NamesAnObjectThatIsGone() async throws {
        let moto = try await MotoServer(authenticated: false) // the snapshot listing has a "/" prefix: see MotoServer
        let s3 = S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: "offsite")),
                          credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
        try await s3.createBucket()
        let offsite = S3Target(name: "offsite", client: s3)
        try await stock([offsite])
        let webhook = try await AlertSink(.webhook)
        let passed = try #require(await (try runner([offsite], webhook: webhook)).run(studies: 3, newestDay: false).first)
        #expect(passed.passed && passed.instances == 12 && passed.snapshot == "catalog/20261122T000000Z.sqlite", "\(passed.failures)")

        let gone = try await site.blobs()[5]
        try await s3.delete(TargetLayout.blobKey(gone))
        let failed = try #require(await (try runner([offsite], webhook: webhook)).run(studies: 3, newestDay: false).first)
        #expect(!failed.passed && failed.failures.map(\.blob) == [gone.hex])
    }
}
