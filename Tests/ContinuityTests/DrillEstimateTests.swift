@testable import Archive
import Continuity
import Foundation
import Protection
import Replication
import S3
import TestSupport
import Testing

/// What a drill says a restore would take, against a real restore from the same moto: a site
/// of 16 studies, 12 of them received ten days ago (in the snapshot) and 4 today (known to
/// the target by the change log and their manifests).
@Suite(.serialized) struct DrillEstimateTests {
    @Test func aDrillsEstimatesAreWhatARealRestoreTakes() async throws {
        let moto = try await MotoServer(authenticated: false) // restore and drill list folders: see MotoServer
        let s3 = S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: "offsite")),
                          credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
        try await s3.createBucket()
        let offsite = S3Target(name: "offsite", client: s3)
        let site = try TestArchive()
        for study in 1...12 { try await site.store(10, study: "1.2.826.0.63.\(study)", pixels: 32 << 10) }
        let tenDaysAgo = Catalog.timestamp.format(Date().addingTimeInterval(-10 * 86400))
        try await site.archive.catalog.pool.write { db in
            try db.execute(sql: "UPDATE version SET receivedAt = ?", arguments: [tenDaysAgo])
            try db.execute(sql: "UPDATE study SET lastReceivedAt = ?", arguments: [tenDaysAgo])
        }
        try await site.replicate([offsite])
        let snapshot = site.root + "/snapshot.sqlite"
        try await site.archive.catalog.snapshot(to: snapshot)
        try await offsite.put(snapshot: snapshot, name: TargetLayout.timeName(Date()) + ".sqlite")
        for study in 13...16 { try await site.store(10, study: "1.2.826.0.63.\(study)", pixels: 32 << 10) }
        let replicator = Replicator(targets: [offsite], catalog: site.archive.catalog, store: try site.archive.catalog.replicas, blobs: site.archive.blobs, changeLog: .milliseconds(100))
        try await replicator.activate()
        let running = Task { await replicator.drain() }
        try await Polling.waitUntil(seconds: 60) {
            let confirmed = try await site.archive.catalog.replicas.confirmedTotals(target: "offsite").versions
            let segments = try await s3.list(prefix: "changes/").objects.count
            let manifest = try await s3.head(TargetLayout.manifestKey("1.2.826.0.63.16"))
            return confirmed == 160 && segments >= 1 && manifest != nil
        }
        running.cancel()
        await running.value

        // Three rounds of a drill and a restore, the quickest of each compared: the machine is
        // shared, and its load changes within a restore of a second or two.
        var drills: [DrillReport] = [], restores: [Restorer.Report] = []
        for round in 0..<3 {
            drills.append(try await Drill(replicas: try site.archive.catalog.replicas, target: offsite, options: .init(studies: 4, scratch: site.root + "/tmp")).run())
            let root = site.root + "-restored-\(round)"
            defer { try? FileManager.default.removeItem(atPath: root) }
            restores.append(try await Restorer(target: offsite, root: root).run(.init()))
        }
        let full = try #require(drills.compactMap(\.fullRestoreSeconds).min()), day = try #require(drills.compactMap(\.last24HoursSeconds).min())
        let took = try #require(restores.map(\.seconds).min()), dayBack = try #require(restores.compactMap(\.recentBackAfter).min())
        print(String(format: "drills of %d instances, the quickest of three: full restore %.2f s, last 24 h %.2f s; restores, the quickest of three: %.2f s, last 24 h back after %.2f s",
                     drills[0].instances, full, day, took, dayBack))
        #expect(drills.allSatisfy(\.passed) && drills.allSatisfy { $0.fullRestoreSeconds != nil && $0.last24HoursSeconds != nil })
        #expect(restores.allSatisfy { $0.failed.isEmpty && $0.versions == 160 && $0.recentVersions == 40 })
        // Within a factor of three of the drills' figures.
        #expect(took > full / 3 && took < full * 3, "full: \(full) s estimated, \(took) s taken")
        #expect(dayBack > day / 3 && dayBack < day * 3, "last 24 h: \(day) s estimated, back after \(dayBack) s")
    }
}
