import Archive
import Foundation
import Replication
import S3
import TestSupport
import Testing

/// `lifeboat serve` replicating to the targets of its configuration file — moto (S3) and a
/// directory —, killed with SIGKILL mid-replication and started again.
@Suite struct ServeReplicationTests {
    @Test func aSenderKilledMidReplicationLeavesNothingBehind() async throws {
        let moto = try await MotoServer()
        let credentials = S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey)
        let s3 = S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: "offsite")), credentials: credentials)
        try await s3.createBucket()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("serve-replication-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/corpus", withIntermediateDirectories: true)
        let count = 120
        _ = try await Subprocess.succeed("/usr/bin/env", ["python3", ServeArchiveTests.root + "/Benchmarks/make-ct-corpus.py", work + "/corpus", "\(count)"])
        // The first run reaches S3 over a slow link (1 MB/s, two blobs a second), so the kill lands
        // with S3 owed many; the second run reaches it directly.
        let proxyPort = LoopbackPort.free()
        let proxy = try await TCPProxy.start(port: proxyPort, target: moto.port, bytesPerSecond: 1 << 20)
        defer { proxy.stop() }
        func config(_ name: String, endpoint: String) throws -> String {
            try """
                data: \(work)/data
                http-port: 0
                replication-targets:
                  - {name: offsite, type: s3, endpoint: "\(endpoint)", bucket: offsite, concurrency: 1}
                  - {name: nas, type: filesystem, path: "\(work)/nas"}
                """.write(toFile: "\(work)/\(name).yaml", atomically: true, encoding: .utf8)
            return "\(work)/\(name).yaml"
        }
        let port = LoopbackPort.free()
        let environment = ["AWS_ACCESS_KEY_ID": moto.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey]
        let slow = ["serve", "--config", try config("slow", endpoint: "http://127.0.0.1:\(proxyPort)"), "--dicom-port", "\(port)"]
        var serve = try BackgroundProcess(DumpCommandTests.binary.path, slow, environment: environment)
        try await LoopbackPort.waitUntilListening(port)
        let files = try FileManager.default.contentsOfDirectory(atPath: work + "/corpus").sorted().map { "\(work)/corpus/\($0)" }
        // SIGKILL while instances still arrive and replication to S3 has begun.
        let sender = Task { try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/storescu", "-aec", "LIFEBOAT", "127.0.0.1", "\(port)"] + files) }
        let catalogPath = LocalArchive.catalogPath(in: work + "/data")
        do {
            try await Polling.waitUntil(seconds: 60) {
                guard try await s3.list().objects.filter({ $0.key.hasPrefix("blobs/") }).count >= 3 else { return false }
                // A margin of several owed, so the queue cannot drain between this look and the kill.
                return try await Catalog(path: catalogPath).replicas.replicationStatus().contains { $0.name == "offsite" && $0.queueDepth >= 5 }
            }
        } catch {
            let status = (try? await Catalog(path: catalogPath).replicas.replicationStatus().map { "\($0.name) queued \($0.queueDepth)" }) ?? []
            Issue.record("no moment with 3 blobs at S3 and more owed: \(status); serve said: \(serve.log.suffix(2000))")
            throw error
        }
        serve.killAbruptly()
        _ = try await sender.value // storescu sees its association drop; what it was told is stored must be replicated
        let catalog = try Catalog(path: LocalArchive.catalogPath(in: work + "/data"))
        let atKill = try await catalog.replicas.replicationStatus()
        #expect(atKill.contains { $0.queueDepth > 0 }, "killed mid-replication: \(atKill.map { "\($0.name) \($0.queueDepth)" })")

        let direct = ["serve", "--config", try config("direct", endpoint: moto.endpoint), "--dicom-port", "\(port)"]
        serve = try BackgroundProcess(DumpCommandTests.binary.path, direct, environment: environment)
        defer { serve.stop() }
        try await Polling.waitUntil(seconds: 120) {
            let status = try await catalog.replicas.replicationStatus()
            let manifests = try await s3.list().objects.filter { $0.key.hasPrefix("studies/") }.count
            return status.count == 2 && status.allSatisfy { $0.queueDepth == 0 } && manifests == 1
                && FileManager.default.fileExists(atPath: work + "/nas/studies")
        }
        let blobs = Array(try await catalog.blobs(withPrefix: ""))
        #expect(blobs.count >= 3 && blobs.count <= count)
        let keys = Set(try await s3.list().objects.map(\.key))
        for blob in blobs {
            #expect(keys.contains(TargetLayout.blobKey(blob)))
            #expect(BlobID(of: Array(try await s3.get(TargetLayout.blobKey(blob)).readableBytesView)) == blob, "S3 holds it intact")
            let copy = FileManager.default.contents(atPath: "\(work)/nas/\(TargetLayout.blobKey(blob))")
            #expect(copy.map { BlobID(of: Array($0)) } == blob, "the directory holds it intact")
        }
        #expect(try await catalog.replicas.replicationStatus().allSatisfy { $0.permanentFailures == 0 })
    }
}
