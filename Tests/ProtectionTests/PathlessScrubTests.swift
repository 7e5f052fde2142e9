import Archive
import Foundation
import Protection
import Replication
import TestSupport
import Testing

/// The scrub and the healer over a blob store that keeps no local files (`MemoryBlobStore`,
/// as an object store would be): a bad blob is found by hash and healed from a target, and
/// a target's bad copy is healed from the store's bytes, read through the verified reader.
struct PathlessScrubTests {
    @Test func aStoreWithNoLocalFilesIsScrubbedAndHealedBothWays() async throws {
        let site = try TestArchive()
        let nas = try FileSystemTarget(name: "nas", root: site.root + "-nas")
        defer { try? FileManager.default.removeItem(atPath: site.root + "-nas") }
        let blobs = try await site.store(6, study: "1.2.826.0.21.1", pixels: 8192)
        try await site.replicate([nas])
        // The same blobs in a store with no local path.
        let memory = try await site.pathlessCopy(of: blobs)
        #expect(memory.localPath(of: blobs[0]) == nil)
        let scrubber = Scrubber(blobs: memory, staging: site.archive.blobs.stagingDirectory, catalog: site.archive.catalog, replicas: try site.archive.catalog.replicas,
                                integrity: try SQLiteIntegrityStore(pool: site.archive.catalog.pool), targets: [nas])

        var bad = try await memory.read(blobs[1], range: nil)
        bad[bad.count / 2] ^= 0x10
        memory.corrupt(blobs[1], with: bad)
        let local = await scrubber.pass(over: .local, options: .init())
        #expect(local.complete && local.findings.map(\.blob) == [blobs[1]] && local.findings.first?.problem == .corrupt)
        #expect(local.healed == 1 && local.findings.first?.healedFrom == "nas")
        #expect(try await memory.verify(blobs[1]), "healed from the target's copy")

        let atNAS = "\(nas.root)/\(TargetLayout.blobKey(blobs[2]))"
        var copy = [UInt8](try #require(FileManager.default.contents(atPath: atNAS)))
        copy[copy.count / 2] ^= 0x10
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: atNAS)
        try Data(copy).write(to: URL(fileURLWithPath: atNAS))
        let remote = await scrubber.pass(over: .target(nas), options: .init(readBackEvery: 1))
        #expect(remote.complete && remote.findings.map(\.blob) == [blobs[2]] && remote.healed == 1)
        #expect(remote.findings.first?.healedFrom == "local")
        let back = try await nas.fetch(blobs[2], into: site.archive.blobs.stagingDirectory)
        back?.discard()
        #expect(back?.id == blobs[2], "the target's copy put right from the store's bytes")
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.archive.blobs.stagingDirectory).isEmpty, "no staged copy left behind")
    }
}
