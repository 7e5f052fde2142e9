@testable import Archive
import Foundation
import Testing

/// The `BlobStore` contract, checked against every backend.
@Suite struct BlobStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case local, memory
        var testDescription: String { rawValue }
    }

    /// A store of that kind and a staging directory for it, removed afterwards.
    static func withStore(_ backend: Backend, _ body: (any BlobStore, String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobstore-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        switch backend {
        case .local:
            let store = try LocalBlobStore(root: root)
            try await body(store, store.stagingDirectory)
        case .memory:
            try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
            try await body(MemoryBlobStore(), root + "/tmp")
        }
    }

    static func stage(_ bytes: [UInt8], in directory: String) throws -> StagedBlob {
        let file = try StagingFile(in: directory)
        // Written in pieces, as an association would.
        for piece in stride(from: 0, to: bytes.count, by: 1000) { try file.write(Array(bytes[piece..<min(piece + 1000, bytes.count)])) }
        return try file.finish()
    }

    static let abc: [UInt8] = Array("abc".utf8)
    /// SHA-256("abc"), FIPS 180-2 appendix B.1.
    static let abcID = BlobID(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")!

    @Test(arguments: Backend.allCases) func nameIsTheSHA256OfTheBytes(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            let staged = try Self.stage(Self.abc, in: staging)
            #expect(staged.id == Self.abcID)
            #expect(staged.size == 3)
            #expect(try await store.put(staged) == .stored)
            #expect(try await store.contains(Self.abcID))
            #expect(try await store.read(Self.abcID, range: nil) == Self.abc)
            #expect(try await store.size(of: Self.abcID) == 3)
            #expect(try await store.verify(Self.abcID))
        }
    }

    @Test(arguments: Backend.allCases) func putIsIdempotentAndConsumesTheStagedFile(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let first = try Self.stage(bytes, in: staging)
            let second = try Self.stage(bytes, in: staging)
            #expect(first.id == second.id)
            #expect(try await store.put(first) == .stored)
            #expect(try await store.put(second) == .alreadyStored)
            #expect(try await store.list(prefix: "") == [first.id])
            #expect(try await store.read(first.id, range: nil) == bytes)
            #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty, "staged files are consumed")
        }
    }

    @Test(arguments: Backend.allCases) func concurrentPutsOfTheSameBytesStoreOneBlob(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            let staged = try (0..<20).map { _ in try Self.stage(Self.abc, in: staging) }
            let outcomes = try await withThrowingTaskGroup(of: PutOutcome.self) { group in
                for blob in staged { group.addTask { try await store.put(blob) } }
                return try await group.reduce(into: [PutOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .stored }.count == 1)
            #expect(outcomes.filter { $0 == .alreadyStored }.count == 19)
            #expect(try await store.list(prefix: "") == [Self.abcID])
        }
    }

    @Test(arguments: Backend.allCases) func rangesAreCutAtTheEnd(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            let staged = try Self.stage(Array(0..<200), in: staging)
            _ = try await store.put(staged)
            #expect(try await store.read(staged.id, range: 10..<14) == [10, 11, 12, 13])
            #expect(try await store.read(staged.id, range: 190..<500) == Array(190..<200))
            #expect(try await store.read(staged.id, range: 300..<400) == [])
        }
    }

    @Test(arguments: Backend.allCases) func aMissingBlobIsNotFound(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, _ in
            let contained = try await store.contains(Self.abcID)
            #expect(!contained)
            await #expect(throws: BlobStoreError.notFound(Self.abcID)) { try await store.read(Self.abcID, range: nil) }
            await #expect(throws: BlobStoreError.notFound(Self.abcID)) { try await store.size(of: Self.abcID) }
            await #expect(throws: BlobStoreError.notFound(Self.abcID)) { try await store.verify(Self.abcID) }
            let listed = try await store.list(prefix: "")
            #expect(listed == [])
        }
    }

    @Test(arguments: Backend.allCases) func anEmptyBlobIsABlob(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            let staged = try Self.stage([], in: staging)
            #expect(staged.id.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            #expect(try await store.put(staged) == .stored)
            #expect(try await store.read(staged.id, range: nil) == [])
        }
    }

    @Test func aLocalBlobIsAPlainFileThatSha256sumChecks() async throws {
        try await Self.withStore(.local) { store, staging in
            let staged = try Self.stage(Self.abc, in: staging)
            _ = try await store.put(staged)
            let path = try #require(store.localPath(of: staged.id))
            #expect(path.hasSuffix("/blobs/ba/\(Self.abcID.hex).dcm"))
            #expect(FileManager.default.contents(atPath: path) == Data(Self.abc))
        }
    }

    @Test func aLocalBlobChangedOnDiskFailsVerification() async throws {
        try await Self.withStore(.local) { store, staging in
            let staged = try Self.stage(Self.abc, in: staging)
            _ = try await store.put(staged)
            let path = try #require(store.localPath(of: staged.id))
            try Data("abd".utf8).write(to: URL(fileURLWithPath: path))
            #expect(try await !store.verify(staged.id))
        }
    }

    @Test func aLocalPutThatCannotLinkLeavesNoBlob() async throws {
        try await Self.withStore(.local) { store, staging in
            let staged = try Self.stage(Self.abc, in: staging)
            let local = try #require(store as? LocalBlobStore)
            // The shard's place is taken by a file: the store cannot make the directory.
            _ = FileManager.default.createFile(atPath: local.blobsDirectory + "/ba", contents: Data())
            await #expect(throws: BlobStoreError.self) { try await store.put(staged) }
            #expect(try await !store.contains(Self.abcID))
            #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty)
        }
    }
}

extension BlobStoreConformanceTests {
    @Test(arguments: Backend.allCases) func listingByPrefixFindsExactlyThoseBlobs(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            var ids: [BlobID] = []
            for index in 0..<40 {
                let staged = try Self.stage(Array("blob \(index)".utf8), in: staging)
                _ = try await store.put(staged)
                ids.append(staged.id)
            }
            let all = try await store.list(prefix: "")
            #expect(Set(all) == Set(ids))
            for prefix in ["0", "a", "ba", String(ids[0].hex.prefix(3)), ids[0].hex] {
                let listed = try await store.list(prefix: prefix)
                #expect(Set(listed) == Set(ids.filter { $0.hex.hasPrefix(prefix) }), "prefix \(prefix)")
            }
        }
    }

    @Test(arguments: Backend.allCases) func healPutsTheGoodBytesBackUnderTheName(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store, staging in
            _ = try await store.put(try Self.stage(Self.abc, in: staging))
            if let memory = store as? MemoryBlobStore {
                memory.corrupt(Self.abcID, with: Array("abd".utf8))
            } else {
                let path = try #require(store.localPath(of: Self.abcID))
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
                try Data("abd".utf8).write(to: URL(fileURLWithPath: path))
            }
            #expect(try await !store.verify(Self.abcID))
            let good = try Self.stage(Self.abc, in: staging)
            try await store.heal(with: good)
            #expect(try await store.verify(Self.abcID))
            #expect(try await store.read(Self.abcID, range: nil) == Self.abc)
            #expect(!FileManager.default.fileExists(atPath: good.path), "the staged file is consumed")
            // A blob gone missing is healed the same way.
            let other = try Self.stage(Array("xyz".utf8), in: staging)
            let id = other.id
            try await store.heal(with: other)
            #expect(try await store.contains(id))
            #expect(try await store.verify(id))
        }
    }
}
