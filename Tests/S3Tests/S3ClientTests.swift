import Crypto
import Foundation
import NIOCore
import S3
import TestSupport
import Testing

/// Against a real S3 API: a moto server started here with request authentication on, and an
/// IAM user made for the test (Helpers/moto_credentials.py), so a bad signature is refused.
@Suite(.serialized) struct S3ClientTests {
    /// A client of `moto`'s bucket, with its IAM user's keys unless told otherwise.
    static func client(_ moto: MotoServer, bucket: String = "lifeboat", partSize: Int = 64 << 20, credentials: S3Credentials? = nil) throws -> S3Client {
        S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: bucket)),
                 credentials: credentials ?? Self.credentials(moto), partSize: partSize)
    }

    static func credentials(_ moto: MotoServer) -> S3Credentials {
        S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey)
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s3-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func objectsGoUpWithTheirChecksumAndComeBackAsTheyWent() async throws {
        let moto = try await MotoServer()
        let s3 = try Self.client(moto)
        try await s3.createBucket()
        try await s3.createBucket() // already ours: fine

        let manifest = Array("{\"study\": \"1.2.3\"}".utf8)
        try await s3.put("manifests/1.2.3.json", bytes: ByteBuffer(bytes: manifest), options: .init(contentType: "application/json", metadata: ["Lifeboat": "1"]))
        let info = try #require(try await s3.head("manifests/1.2.3.json"))
        #expect(info.size == manifest.count)
        #expect(info.metadata["lifeboat"] == "1")
        #expect(Array(try await s3.get("manifests/1.2.3.json").readableBytesView) == manifest)

        let blob = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = try Self.temporaryFile(blob)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let digest = Self.sha256(blob)
        let key = "blobs/\(digest.map { String(format: "%02x", $0) }.joined()).dcm"
        try await s3.put(key, file: path, sha256: digest)
        try await s3.put("blobs/unnamed.dcm", file: path) // the client finds the SHA-256 itself
        #expect(Array(try await s3.get(key).readableBytesView) == blob)
        #expect(Array(try await s3.get("blobs/unnamed.dcm").readableBytesView) == blob)

        // Pages of a listing, by prefix. (Not a prefix with a "/": moto 5.2.1 checks the signature
        // of such a listing wrongly and refuses boto3's too; the encoding is in SigV4Tests.)
        for index in 0..<5 { try await s3.put("list-\(index)", bytes: ByteBuffer(string: "\(index)")) }
        var keys: [String] = []
        var token: String?
        repeat {
            let page = try await s3.list(prefix: "list-", after: token, maxKeys: 2)
            #expect(page.objects.count <= 2)
            keys += page.objects.map(\.key)
            token = page.next
        } while token != nil
        #expect(keys == (0..<5).map { "list-\($0)" })

        // (A presigned URL is checked against AWS's example in SigV4Tests: moto 5.2.1 with
        // authentication on answers every presigned request, boto3's too, with a 500.)
    }

    @Test func aLargeFileGoesUpInPartsAndDownStreamed() async throws {
        let moto = try await MotoServer()
        let s3 = try Self.client(moto, partSize: 5 << 20)
        try await s3.createBucket()
        let bytes = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: ($0 >> 3) &* 7) }
        let path = try Self.temporaryFile(bytes)
        let back = path + ".back"
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: back) }
        try await s3.put("large.dcm", file: path)
        #expect(try await s3.head("large.dcm")?.size == bytes.count)
        #expect(try await s3.download("large.dcm", to: back) == bytes.count)
        #expect(FileManager.default.contents(atPath: back) == Data(bytes), "three parts put together in order")
        // Over a longer file already there, nothing of it is left behind.
        try await s3.put("small.dcm", bytes: ByteBuffer(string: "small"))
        #expect(try await s3.download("small.dcm", to: back) == 5)
        #expect(FileManager.default.contents(atPath: back) == Data("small".utf8))
    }

    @Test func refusalsSayWhyAndWhetherToTryAgain() async throws {
        let moto = try await MotoServer()
        let s3 = try Self.client(moto)
        try await s3.createBucket()

        var wrong = Self.credentials(moto)
        wrong.secretAccessKey = "not-the-secret"
        let forged = try Self.client(moto, credentials: wrong)
        let refused = await #expect(throws: S3Error.self) { try await forged.put("x", bytes: ByteBuffer(string: "x")) }
        #expect(refused?.status == 403)
        #expect(refused?.code == "SignatureDoesNotMatch")
        #expect(refused?.isTransient == false, "a bad signature is not retried as if it would pass")

        let path = try Self.temporaryFile(Array("the bytes on the disk".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mismatch = await #expect(throws: S3Error.self) { try await s3.put("changed", file: path, sha256: Self.sha256(Array("other bytes".utf8))) }
        #expect(mismatch?.code == S3Error.localChecksumMismatch, "bytes that are not what their SHA-256 says never finish going up")
        #expect(mismatch?.isTransient == false, "a damaged local copy is not retried as if it would heal")
        #expect(try await s3.head("changed") == nil, "and are not stored")

        #expect(try await s3.head("missing") == nil)
        let missing = await #expect(throws: S3Error.self) { try await s3.get("missing") }
        #expect(missing?.status == 404)
        #expect(missing?.code == "NoSuchKey")

        let nowhere = S3Client(location: try #require(S3Location(endpoint: "http://127.0.0.1:\(LoopbackPort.free())", bucket: "b")),
                               credentials: Self.credentials(moto), timeout: .seconds(10))
        let unreachable = await #expect(throws: S3Error.self) { try await nowhere.head("x") }
        #expect(unreachable?.status == nil)
        #expect(unreachable?.isTransient == true, "no answer is tried again later")
    }

    @Test func objectLockAndEncryptionAreAskedForOnWrite() async throws {
        let moto = try await MotoServer()
        let s3 = try Self.client(moto, bucket: "locked")
        try await s3.createBucket(objectLock: true)
        let until = Date().addingTimeInterval(86400)
        try await s3.put("blob", bytes: ByteBuffer(string: "kept"), options: .init(encryption: .s3, retention: (.compliance, until)))
        let info = try #require(try await s3.head("blob"))
        #expect(info.lockMode == "COMPLIANCE")
        #expect(info.lockRetainUntil?.hasPrefix(String(ISO8601DateFormatter().string(from: until).prefix(16))) == true, "\(info.lockRetainUntil ?? "none")")
        #expect(info.serverSideEncryption == "AES256")
    }

    @Test func aVersionedBucketGivesBackWhatAKeyHeldAtAMoment() async throws {
        let moto = try await MotoServer(authenticated: false)
        let s3 = try Self.client(moto, bucket: "versioned")
        try await s3.createBucket(objectLock: true) // object lock turns versioning on
        try await s3.put("studies/a.json", bytes: ByteBuffer(string: "first"))
        let moment = Date()
        // S3 keeps times to the second: the second write is over a second later.
        try await Polling.waitUntil(seconds: 5) { Date().timeIntervalSince(moment) > 1.1 }
        try await s3.put("studies/a.json", bytes: ByteBuffer(string: "second"))
        try await s3.put("studies/b.json", bytes: ByteBuffer(string: "later"))
        let all = try await s3.versions(prefix: "studies/")
        #expect(all.map(\.key) == ["studies/a.json", "studies/a.json", "studies/b.json"])
        #expect(all.first?.isLatest == true, "newest first")
        let then = try await s3.versions(prefix: "studies/", asOf: moment)
        #expect(then.map(\.key) == ["studies/a.json"], "b did not exist yet")
        var bytes: [UInt8] = []
        try await s3.stream("studies/a.json", versionID: try #require(then.first).versionID) { bytes += $0.readableBytesView }
        #expect(String(decoding: bytes, as: UTF8.self) == "first")
    }

    @Test func virtualHostedAddressingPutsTheBucketInTheHostName() throws {
        let aws = try #require(S3Location(endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "archive", region: "eu-west-1", addressing: .virtualHosted))
        let minio = try #require(S3Location(endpoint: "http://nas.local:9000", bucket: "archive"))
        let s3 = S3Client(location: aws, credentials: S3Credentials(accessKeyID: "id", secretAccessKey: "secret"))
        #expect(s3.presignedGet("a b/c.dcm", expires: 60).hasPrefix("https://archive.s3.eu-west-1.amazonaws.com/a%20b/c.dcm?"))
        let local = S3Client(location: minio, credentials: S3Credentials(accessKeyID: "id", secretAccessKey: "secret"))
        #expect(local.presignedGet("c.dcm", expires: 60).hasPrefix("http://nas.local:9000/archive/c.dcm?"))
        #expect(S3Location(endpoint: "ftp://x", bucket: "b") == nil)
        #expect(S3Location(endpoint: "http://x", bucket: "") == nil)
    }
}
