@testable import Archive
import Foundation
import Testing

/// `BlobStore.reader`'s contract, against every backend: the bytes asked for, in pieces of at
/// most the chunk asked for; checked against the name, so that damaged bytes never come to
/// their end.
@Suite struct VerifiedReadConformanceTests {
    typealias Backend = BlobStoreConformanceTests.Backend

    static let bytes: [UInt8] = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// Stores `bytes` in a fresh store of that kind.
    static func withBlob(_ backend: Backend, _ body: (any BlobStore, BlobID) async throws -> Void) async throws {
        try await BlobStoreConformanceTests.withStore(backend) { store, staging in
            let staged = try BlobStoreConformanceTests.stage(bytes, in: staging)
            _ = try await store.put(staged)
            try await body(store, staged.id)
        }
    }

    /// Changes the stored bytes behind the store's back, as a failing disk would.
    static func damage(_ store: any BlobStore, _ id: BlobID, with bytes: [UInt8]) throws {
        if let memory = store as? MemoryBlobStore {
            memory.corrupt(id, with: bytes)
        } else {
            let path = try #require(store.localPath(of: id))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    /// Every piece the reader gives until it ends or throws.
    static func pieces(_ reader: VerifiedBlobReader) async -> (pieces: [[UInt8]], error: BlobStoreError?) {
        var iterator = reader.makeAsyncIterator()
        var pieces: [[UInt8]] = []
        do {
            while let piece = try await iterator.next() { pieces.append(piece) }
            return (pieces, nil)
        } catch {
            return (pieces, error)
        }
    }

    @Test(arguments: Backend.allCases) func theWholeBlobComesInPiecesOfAtMostTheChunk(_ backend: Backend) async throws {
        try await Self.withBlob(backend) { store, id in
            for chunk in [1 << 20, 1000, 999, 64, 7] {
                let (pieces, error) = await Self.pieces(store.reader(id, range: nil, chunk: chunk))
                #expect(error == nil)
                #expect(pieces.flatMap { $0 } == Self.bytes, "chunk \(chunk)")
                #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= chunk })
            }
        }
    }

    @Test(arguments: Backend.allCases) func aRangeGivesWhatReadGivesCutAtTheEnd(_ backend: Backend) async throws {
        try await Self.withBlob(backend) { store, id in
            for range in [0..<1, 0..<1000, 10..<500, 999..<1000, 990..<5000, 1000..<1200, 500..<500] {
                let (pieces, error) = await Self.pieces(store.reader(id, range: range, chunk: 64))
                #expect(error == nil)
                let expected = try await store.read(id, range: range)
                #expect(pieces.flatMap { $0 } == expected, "range \(range)")
            }
        }
    }

    @Test(arguments: Backend.allCases) func damagedBytesNeverComeToTheirEnd(_ backend: Backend) async throws {
        try await Self.withBlob(backend) { store, id in
            var damaged = Self.bytes
            damaged[999] ^= 0xFF // the very last byte: only the hash can tell
            try Self.damage(store, id, with: damaged)
            for (range, chunk) in [(nil, 100), (nil, 1 << 20), (0..<10, 100), (400..<600, 64)] as [(Range<Int>?, Int)] {
                let (pieces, error) = await Self.pieces(store.reader(id, range: range, chunk: chunk))
                #expect(error == .damaged(id), "range \(String(describing: range)), chunk \(chunk)")
                let wanted = (range ?? 0..<1000).count
                #expect(pieces.flatMap { $0 }.count < wanted, "the last piece is held back")
            }
            #expect(try await !store.verify(id))
        }
    }

    @Test(arguments: Backend.allCases) func aShortenedBlobIsDamaged(_ backend: Backend) async throws {
        try await Self.withBlob(backend) { store, id in
            try Self.damage(store, id, with: Array(Self.bytes.prefix(600)))
            let (pieces, error) = await Self.pieces(store.reader(id, range: nil, chunk: 256))
            #expect(error == .damaged(id))
            #expect(pieces.flatMap { $0 }.count < 600)
        }
    }

    @Test(arguments: Backend.allCases) func aMissingBlobIsNotFound(_ backend: Backend) async throws {
        try await BlobStoreConformanceTests.withStore(backend) { store, _ in
            let missing = BlobID(of: [9, 9, 9])
            let (pieces, error) = await Self.pieces(store.reader(missing, range: nil, chunk: 64))
            #expect(pieces.isEmpty && error == .notFound(missing))
        }
    }

    @Test(arguments: Backend.allCases) func anEmptyBlobReadsAsNothingAndWhole(_ backend: Backend) async throws {
        try await BlobStoreConformanceTests.withStore(backend) { store, staging in
            let staged = try BlobStoreConformanceTests.stage([], in: staging)
            _ = try await store.put(staged)
            let (pieces, error) = await Self.pieces(store.reader(staged.id, range: nil, chunk: 64))
            #expect(pieces.isEmpty && error == nil)
        }
    }
}
