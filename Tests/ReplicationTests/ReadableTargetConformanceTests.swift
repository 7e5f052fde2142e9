import Archive
import Foundation
import NIOCore
import Replication
import S3
import TestSupport
import Testing

/// The contract of a target whose copies can be read back (`ReadableTarget`), checked against
/// each kind: a directory, and S3 (moto). Per method:
/// - `put`: each blob is taken, again without harm; what it holds is what was sent.
/// - `inspect`: the copy's size (and any checksum the target keeps is the blob's name); nil for none.
/// - `fetch`: the copy whole, hashed on the way, so a damaged copy names other bytes; nil for none.
/// - `blobIDs`: exactly the blobs held.
/// - `repair`: a good copy in place of a bad one, under the same name.
/// - `files` and `read`: what `put(snapshot:)` wrote, listed under its folder and read back.
@Suite(.serialized) struct ReadableTargetConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case filesystem, s3
        var testDescription: String { rawValue }
    }

    /// A target of that kind, what damages its copy of a blob, and a scratch directory.
    static func withTarget(_ backend: Backend,
                           _ body: (any ReadableTarget, _ damage: @Sendable (BlobID) async throws -> Void, _ scratch: String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("target-conformance-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scratch = root + "/scratch"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        switch backend {
        case .filesystem:
            let target = try FileSystemTarget(name: "nas", root: root + "/nas")
            try await body(target, { blob in
                let path = "\(root)/nas/\(TargetLayout.blobKey(blob))"
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
                try Self.flipped(try #require(FileManager.default.contents(atPath: path))).write(to: URL(fileURLWithPath: path))
            }, scratch)
        case .s3:
            let moto = try await MotoServer(authenticated: false) // blobIDs and files list folders: see MotoServer
            let client = S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: "conformance")),
                                  credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
            try await client.createBucket()
            try await body(S3Target(name: "offsite", client: client), { blob in
                let key = TargetLayout.blobKey(blob)
                let bytes = Data(Array(try await client.get(key).readableBytesView))
                _ = try await client.put(key, bytes: ByteBuffer(bytes: Self.flipped(bytes)))
            }, scratch)
        }
    }

    static func flipped(_ data: Data) -> Data {
        var bytes = data
        bytes[bytes.count / 2] ^= 0x10
        return bytes
    }

    /// A local file to send, of `count` bytes.
    static func outbound(_ count: Int, seed: Int, in directory: String) throws -> OutboundBlob {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
        let path = "\(directory)/\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return OutboundBlob(blob: BlobID(of: bytes), path: path, size: count, sopClassUID: "1.2.840.10008.5.1.4.1.1.7",
                            sopInstanceUID: "1.2.826.0.77.\(seed)", transferSyntaxUID: "1.2.840.10008.1.2.1", studyInstanceUID: "1.2.826.0.77")
    }

    @Test(arguments: Backend.allCases) func whatIsPutIsReadBackWholeAndHashed(_ backend: Backend) async throws {
        try await Self.withTarget(backend) { target, _, scratch in
            // One blob of several megabytes (more than any read's piece), one small.
            let blobs = [try Self.outbound(3 << 20, seed: 1, in: scratch), try Self.outbound(100, seed: 2, in: scratch)]
            let results = await target.put(blobs)
            #expect(results.count == 2 && results.allSatisfy { (try? $0.get()) != nil })
            for blob in blobs {
                let copy = try #require(try await target.inspect(blob.blob))
                #expect(copy.size == blob.size && (copy.sha256 == nil || copy.sha256 == blob.blob))
                let fetched = try #require(try await target.fetch(blob.blob, into: scratch))
                defer { fetched.discard() }
                #expect(fetched.id == blob.blob && fetched.size == blob.size)
                #expect(FileManager.default.contents(atPath: fetched.path) == FileManager.default.contents(atPath: blob.path))
            }
            #expect(Set(try await target.blobIDs(asOf: nil)) == Set(blobs.map(\.blob)))
            let absent = BlobID(of: Array("absent".utf8))
            #expect(try await target.inspect(absent) == nil)
            #expect(try await target.fetch(absent, into: scratch) == nil)
        }
    }

    @Test(arguments: Backend.allCases) func aSecondPutOfTheSameBlobDoesNoHarm(_ backend: Backend) async throws {
        try await Self.withTarget(backend) { target, _, scratch in
            let blob = try Self.outbound(5000, seed: 3, in: scratch)
            for _ in 0..<2 { #expect(await target.put([blob]).allSatisfy { (try? $0.get()) != nil }) }
            #expect(try await target.blobIDs(asOf: nil) == [blob.blob])
            let fetched = try #require(try await target.fetch(blob.blob, into: scratch))
            defer { fetched.discard() }
            #expect(fetched.id == blob.blob)
        }
    }

    @Test(arguments: Backend.allCases) func aDamagedCopyShowsWhenFetchedAndIsRepaired(_ backend: Backend) async throws {
        try await Self.withTarget(backend) { target, damage, scratch in
            let blob = try Self.outbound(70_000, seed: 4, in: scratch)
            _ = await target.put([blob])
            try await damage(blob.blob)
            let bad = try #require(try await target.fetch(blob.blob, into: scratch))
            bad.discard()
            #expect(bad.id != blob.blob, "the fetched bytes name themselves, not the blob")
            try await target.repair(with: blob)
            let good = try #require(try await target.fetch(blob.blob, into: scratch))
            defer { good.discard() }
            #expect(good.id == blob.blob)
            #expect(try await target.inspect(blob.blob)?.size == blob.size)
        }
    }

    @Test(arguments: Backend.allCases) func aSnapshotIsListedUnderItsFolderAndReadBack(_ backend: Backend) async throws {
        try await Self.withTarget(backend) { target, _, scratch in
            let snapshot = scratch + "/snapshot.sqlite"
            let bytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0) })
            try bytes.write(to: URL(fileURLWithPath: snapshot))
            try await target.put(snapshot: snapshot, name: "20261201T000000Z.sqlite")
            let files = try await target.files(under: "catalog/", asOf: nil, after: nil)
            let file = try #require(files.first { $0.key == "catalog/20261201T000000Z.sqlite" }, "\(files.map(\.key))")
            #expect(files.count == 1 && file.modified != nil)
            try await target.read(file, to: scratch + "/read-back")
            #expect(FileManager.default.contents(atPath: scratch + "/read-back") == bytes)
            #expect(try await target.files(under: "catalog/", asOf: nil, after: "catalog/20261201T000000Z.sqlite").isEmpty, "nothing after it")
        }
    }
}
