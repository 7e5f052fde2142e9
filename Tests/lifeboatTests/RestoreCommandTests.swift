import Archive
import Foundation
import Protection
import Replication
import TestSupport
import Testing

/// `lifeboat restore` from a directory target named in a configuration file: the listing of
/// what the target held, the restore itself and its report, and the refusals.
@Suite struct RestoreCommandTests {
    @Test func listsWhatTheTargetHeldRestoresItAndRefusesPlainly() async throws {
        let site = try TestArchive()
        let nas = try FileSystemTarget(name: "nas", root: site.root + "-nas")
        defer { try? FileManager.default.removeItem(atPath: nas.root) }
        try await site.store(5, study: "1.2.826.0.60.1")
        let snapshot = site.root + "/snapshot.sqlite"
        try await site.archive.catalog.snapshot(to: snapshot)
        try await nas.put(snapshot: snapshot, name: "20261122T000000Z.sqlite")
        try await site.store(3, study: "1.2.826.0.60.2")
        let manifests = nas.root + "/studies"
        try await site.replicate([nas]) { ((try? FileManager.default.contentsOfDirectory(atPath: manifests)) ?? []).count == 2 }
        let config = site.root + "/lifeboat.yaml"
        try "replication-targets: [{name: nas, type: filesystem, path: \"\(nas.root)\"}]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let lifeboat = DumpCommandTests.binary.path
        let data = site.root + "-restored"
        defer { try? FileManager.default.removeItem(atPath: data) }

        let list = try await Subprocess.run(lifeboat, ["restore", "--from", "nas", "--config", config, "--data", data, "--list"])
        #expect(list.status == 0 && list.text.contains("nas: catalog snapshot catalog/20261122T000000Z.sqlite, 0 change log segments, 2 studies in manifests, 8 blobs"), "\(list.text)")
        #expect(list.text.contains("P-1.2.826.0.60.2") && list.text.contains("\t3\t1.2.826.0.60.2"), "\(list.text)")
        #expect(!FileManager.default.fileExists(atPath: data), "listing writes nothing")

        let restore = try await Subprocess.run(lifeboat, ["restore", "--from", "nas", "--config", config, "--data", data])
        #expect(restore.status == 0, "\(restore.text) \(restore.errors)")
        #expect(restore.text.contains("catalog: snapshot catalog/20261122T000000Z.sqlite, searchable after "), "\(restore.text)")
        #expect(restore.text.contains(" s, 3 instances from the change log and manifests beyond it, 8 versions in all"), "\(restore.text)")
        #expect(restore.text.contains("blobs: 8 restored"), "\(restore.text)")
        let restored = try LocalArchive(root: data)
        for blob in try await site.blobs() { #expect(try await restored.blobs.verify(blob)) }

        let again = try await Subprocess.run(lifeboat, ["restore", "--from", "nas", "--config", config, "--data", data])
        #expect(again.status != 0 && again.errors.contains("already holds an archive"), "\(again.errors)")
        let unknown = try await Subprocess.run(lifeboat, ["restore", "--from", "tape", "--config", config, "--data", data + "-2"])
        #expect(unknown.status != 0 && unknown.errors.contains("names no target tape; its targets are nas"), "\(unknown.errors)")
        let badTime = try await Subprocess.run(lifeboat, ["restore", "--from", "nas", "--config", config, "--data", data + "-2", "--as-of", "yesterday"])
        #expect(badTime.status != 0 && badTime.errors.contains("expected ISO 8601"), "\(badTime.errors)")
        #expect(!FileManager.default.fileExists(atPath: data + "-2"), "nothing made by a refused restore")
    }

    /// SIGKILL at random moments, as a power cut or the OOM killer would: after each, every
    /// blob in place hashes to its name and every version the restore recorded beyond the
    /// snapshot has its blob (it records only what is durable); each run goes on where the
    /// last stopped, and the last leaves the whole archive.
    @Test func aRestoreKilledAtRandomMomentsGoesOnAndTrustsOnlyWhatIsWhole() async throws {
        let site = try TestArchive()
        let nas = try FileSystemTarget(name: "nas", root: site.root + "-nas")
        defer { try? FileManager.default.removeItem(atPath: nas.root) }
        for study in 1...3 { try await site.store(30, study: "1.2.826.0.62.\(study)", pixels: 32 << 10) }
        let snapshot = site.root + "/snapshot.sqlite"
        try await site.archive.catalog.snapshot(to: snapshot)
        try await nas.put(snapshot: snapshot, name: "20261122T000000Z.sqlite")
        let inSnapshot = Set(try await Catalog(path: snapshot).blobs(withPrefix: ""))
        for study in 4...6 { try await site.store(30, study: "1.2.826.0.62.\(study)", pixels: 32 << 10) }
        try await site.replicate([nas]) { ((try? FileManager.default.contentsOfDirectory(atPath: nas.root + "/studies")) ?? []).count == 6 }
        let config = site.root + "/lifeboat.yaml"
        try "replication-targets: [{name: nas, type: filesystem, path: \"\(nas.root)\"}]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let data = site.root + "-restored"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["restore", "--from", "nas", "--config", config, "--data", data, "--concurrency", "2"]

        var kills = 0, done = false
        // The latest a kill may come, in milliseconds: halved whenever a restore ends before the
        // first kill (a whole restore of these 6 MB can take under 400 ms), so that one lands.
        var latest = 400
        for _ in 0..<16 where kills < 8 {
            let restore = try BackgroundProcess(DumpCommandTests.binary.path, arguments)
            try await Task.sleep(for: .milliseconds(Int.random(in: min(20, latest / 2)...latest)))
            guard restore.isRunning else { // finished before the kill
                #expect(restore.log.contains("180 versions in all"), "\(restore.log)")
                if kills == 0 {
                    // Not killed even once: from nothing again, killed sooner.
                    try FileManager.default.removeItem(atPath: data)
                    latest = max(10, latest / 2)
                    continue
                }
                done = true
                break
            }
            restore.killAbruptly()
            kills += 1
            let store = try LocalBlobStore(root: data)
            for blob in try await store.list(prefix: "") { #expect(try await store.verify(blob), "\(blob) in place whole") }
            guard FileManager.default.fileExists(atPath: LocalArchive.catalogPath(in: data)) else { continue }
            for blob in try await Catalog(path: LocalArchive.catalogPath(in: data)).blobs(withPrefix: "") where !inSnapshot.contains(blob) {
                #expect(try await store.contains(blob), "\(blob) recorded only once durable")
            }
            // Killed on its way out, once finished: nothing left to go on with.
            if !FileManager.default.fileExists(atPath: Restorer.markerPath(in: data)) {
                done = true
                break
            }
        }
        if !done {
            let last = try await Subprocess.run(DumpCommandTests.binary.path, arguments)
            #expect(last.status == 0 && last.text.contains("180 versions in all"), "\(last.text) \(last.errors)")
        }
        print("killed \(kills) times")
        #expect(kills >= 1)
        let restored = try LocalArchive(root: data)
        #expect(try await Array(restored.catalog.blobs(withPrefix: "")).sorted() == site.blobs())
        for blob in try await site.blobs() { #expect(try await restored.blobs.verify(blob)) }
    }
}
