import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOCore
@testable import Replication
import S3
import TestSupport
import Testing

typealias Tag = DICOM.Tag

/// Replication to real targets started here: a directory, moto (S3 with authentication on),
/// dcmtk's storescp as a DICOM node; outages made by killing a proxy in front of the target.
@Suite(.serialized) struct ReplicationTests {

    typealias Site = TestArchive

    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws {
        try await Polling.waitUntil(seconds: seconds, condition)
    }

    static func sha256(ofFile path: String) -> BlobID? { FileManager.default.contents(atPath: path).map { BlobID(of: Array($0)) } }

    /// A client of moto's bucket, straight or through `port` (a proxy). async-http-client keeps
    /// trying to connect until the request times out, so a cut link shows after `timeout`.
    static func s3(_ moto: MotoServer, port: Int? = nil, bucket: String = "offsite", timeout: TimeAmount = .seconds(10)) throws -> S3Client {
        S3Client(location: try #require(S3Location(endpoint: "http://127.0.0.1:\(port ?? moto.port)", bucket: bucket)),
                 credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey), timeout: timeout)
    }

    // MARK: File system

    @Test func aDirectoryGetsEveryBlobAndAManifestPerStudy() async throws {
        let site = try Site()
        let blobs = try await site.store(5, study: "1.2.826.0.1.1") + (try await site.store(3, study: "1.2.826.0.1.2"))
        let nas = site.root + "-nas"
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let target = try FileSystemTarget(name: "nas", root: nas)
        try await site.replicate([target]) {
            FileManager.default.fileExists(atPath: "\(nas)/studies/1.2.826.0.1.1.json") && FileManager.default.fileExists(atPath: "\(nas)/studies/1.2.826.0.1.2.json")
        }
        for blob in Set(blobs) {
            #expect(Self.sha256(ofFile: "\(nas)/\(TargetLayout.blobKey(blob))") == blob, "\(blob) is there, byte for byte")
        }
        let data = try #require(FileManager.default.contents(atPath: "\(nas)/studies/1.2.826.0.1.1.json"))
        let manifest = try JSONDecoder().decode(StudyManifest.self, from: data)
        #expect(manifest.instances.count == 5)
        #expect(manifest.patientID == "P-1.2.826.0.1.1")
        #expect(Set(manifest.instances.map(\.sha256)).isSubset(of: Set(blobs.map(\.hex))))
        #expect(try FileManager.default.contentsOfDirectory(atPath: nas + "/tmp").isEmpty, "nothing half-written left behind")
        // The directory alone is an archive: a catalog rebuilt from its blobs holds every instance.
        let (report, _) = try await LocalArchive.rebuildCatalog(in: nas)
        #expect(report.recataloged == 8 && report.unreadable.isEmpty, "\(report)")
        #expect(try await LocalArchive(root: nas).catalog.counts().instances == 8)
    }

    @Test func targetsThatKeepFilesGetACatalogSnapshotAndTheAuditHead() async throws {
        let moto = try await MotoServer()
        let s3 = try Self.s3(moto)
        try await s3.createBucket()
        let site = try Site()
        try await site.store(3, study: "1.2.826.0.8.1")
        let nas = site.root + "-nas"
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let targets: [any ReplicationTarget] = [try FileSystemTarget(name: "nas", root: nas), S3Target(name: "offsite", client: s3)]
        let head = ChainHead(sequence: 42, hash: String(repeating: "ab", count: 32), node: "SITE-A")
        let replicator = Replicator(targets: targets, catalog: site.archive.catalog, store: try site.archive.catalog.replicas, blobs: site.archive.blobs,
                                    snapshots: (.seconds(3600), site.archive.blobs.stagingDirectory), auditHeads: (.seconds(3600), { head }))
        let task = Task { try await replicator.run() }
        defer { task.cancel() }
        try await Self.waitUntil(seconds: 30) { try await site.archive.catalog.replicas.replicationStatus().filter { $0.lastSnapshotAt != nil }.count == 2 }
        try await Self.waitUntil(seconds: 30) { try await s3.list().objects.contains { $0.key.hasPrefix("audit/") } }
        let heads = try FileManager.default.contentsOfDirectory(atPath: nas + "/audit")
        #expect(heads.count == 1 && heads[0].hasSuffix(".json"))
        #expect(try JSONDecoder().decode(ChainHead.self, from: try #require(FileManager.default.contents(atPath: nas + "/audit/" + heads[0]))) == head)
        let headKey = try #require(try await s3.list().objects.map(\.key).first { $0.hasPrefix("audit/") })
        #expect(try JSONDecoder().decode(ChainHead.self, from: Data(try await s3.get(headKey).readableBytesView)) == head)
        let copies = try FileManager.default.contentsOfDirectory(atPath: nas + "/catalog")
        try #require(copies.count == 1 && copies[0].hasSuffix(".sqlite"), "\(copies)")
        let opened = site.root + "-snapshot.sqlite" // opened elsewhere: opening adds -wal and -shm files beside it
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: opened + suffix) } }
        try FileManager.default.copyItem(atPath: "\(nas)/catalog/\(copies[0])", toPath: opened)
        #expect(try await Catalog(path: opened).counts().instances == 3, "the snapshot is the catalog")
        let key = try #require(try await s3.list().objects.map(\.key).first { $0.hasPrefix("catalog/") })
        #expect(key == "catalog/\(copies[0])")
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.archive.blobs.stagingDirectory).isEmpty, "the local copy is gone")
        // Not again before the interval has passed.
        await replicator.copySnapshotsDue(olderThan: 3600, scratch: site.archive.blobs.stagingDirectory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: nas + "/catalog").count == 1)
    }

    @Test func aDamagedLocalCopyIsSetAsideAndNeverCopied() async throws {
        let site = try Site()
        let blobs = try await site.store(4, study: "1.2.826.0.2.1")
        let damaged = blobs[1]
        let path = try #require(site.archive.blobs.localPath(of: damaged))
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 10] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let nas = site.root + "-nas"
        defer { try? FileManager.default.removeItem(atPath: nas) }
        try await site.replicate([try FileSystemTarget(name: "nas", root: nas)]) {
            try await site.archive.catalog.replicas.replicationStatus().first?.permanentFailures == 1
        }
        let status = try #require(try await site.archive.catalog.replicas.replicationStatus().first)
        #expect(status.lastError?.contains("does not match its SHA-256") == true, "\(status.lastError ?? "")")
        for blob in blobs {
            #expect(FileManager.default.fileExists(atPath: "\(nas)/\(TargetLayout.blobKey(blob))") == (blob != damaged))
        }
    }

    /// A store that keeps no local files (as an object store would): each blob goes through
    /// a copy staged by the verified reader, removed once sent; a damaged one is set aside as
    /// a damaged local file is, and no copy is left behind.
    @Test func aStoreWithNoLocalFilesReplicatesThroughVerifiedCopies() async throws {
        let site = try Site()
        let blobs = try await site.store(5, study: "1.2.826.0.2.2", pixels: 8192)
        let memory = try await site.pathlessCopy(of: blobs)
        let damaged = blobs[3]
        var bytes = try await memory.read(damaged, range: nil)
        bytes[bytes.count / 2] ^= 0x10
        memory.corrupt(damaged, with: bytes)
        let nas = site.root + "-nas", staging = site.root + "/pathless-staging"
        defer { try? FileManager.default.removeItem(atPath: nas) }
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let replicator = Replicator(targets: [try FileSystemTarget(name: "nas", root: nas)], catalog: site.archive.catalog, store: try site.archive.catalog.replicas, blobs: memory, staging: staging)
        try await replicator.activate()
        let task = Task { await replicator.drain() }
        try await Self.waitUntil(seconds: 60) {
            let status = try await site.archive.catalog.replicas.replicationStatus().first
            return status?.queueDepth == 0 && status?.permanentFailures == 1
        }
        task.cancel()
        await task.value
        let status = try #require(try await site.archive.catalog.replicas.replicationStatus().first)
        #expect(status.lastError?.contains("does not match its SHA-256") == true, "\(status.lastError ?? "")")
        for blob in blobs {
            let copy = "\(nas)/\(TargetLayout.blobKey(blob))"
            #expect(FileManager.default.fileExists(atPath: copy) == (blob != damaged))
            if blob != damaged { #expect(Self.sha256(ofFile: copy) == blob) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty, "every staged copy removed")
    }

    // MARK: S3

    @Test func anS3BucketGetsEveryBlobAndManifestAndANewTargetIsBackfilled() async throws {
        let moto = try await MotoServer()
        let s3 = try Self.s3(moto)
        try await s3.createBucket()
        let site = try Site()
        let before = try await site.store(6, study: "1.2.826.0.3.1") // stored before the target existed
        let target = S3Target(name: "offsite", client: s3, prefix: "hospital-a")
        let task = Task { try await site.replicator([target]).run() }
        defer { task.cancel() }
        let live = try await site.store(4, study: "1.2.826.0.3.2")
        try await Self.waitUntil(seconds: 60) {
            // Listed whole: moto 5.2.1 refuses the signature of a listing whose prefix has a "/".
            let keys = try await s3.list().objects.map(\.key)
            return keys.filter { $0.hasPrefix("hospital-a/blobs/") }.count == 10 && keys.filter { $0.hasPrefix("hospital-a/studies/") }.count == 2
        }
        for blob in before + live {
            let bytes = try await s3.get("hospital-a/" + TargetLayout.blobKey(blob))
            #expect(BlobID(of: Array(bytes.readableBytesView)) == blob)
        }
        let manifest = try JSONDecoder().decode(StudyManifest.self, from: Data(Array(try await s3.get("hospital-a/studies/1.2.826.0.3.2.json").readableBytesView)))
        #expect(manifest.instances.count == 4)
        let status = try #require(try await site.archive.catalog.replicas.replicationStatus().first)
        #expect(status.queueDepth == 0 && status.permanentFailures == 0)
    }

    @Test func aLinkCutMidStreamLosesNothing() async throws {
        let moto = try await MotoServer()
        try await Self.s3(moto).createBucket()
        let proxyPort = LoopbackPort.free()
        var proxy = try await TCPProxy.start(port: proxyPort, target: moto.port)
        let through = try Self.s3(moto, port: proxyPort, timeout: .seconds(2))
        let direct = try Self.s3(moto)
        let site = try Site()
        let replicator = Replicator(targets: [S3Target(name: "offsite", client: through, concurrency: 2)], catalog: site.archive.catalog, store: try site.archive.catalog.replicas,
                                    blobs: site.archive.blobs, backoff: Backoff(initial: .milliseconds(200), ceiling: .seconds(2)))
        let task = Task { try await replicator.run() }
        defer { task.cancel() }
        var blobs = try await site.store(10, study: "1.2.826.0.4.1", pixels: 64 << 10)
        try await Self.waitUntil(seconds: 30) { try await direct.list().objects.count >= 1 }
        proxy.stop() // the link is cut mid-stream
        blobs += try await site.store(10, study: "1.2.826.0.4.2", pixels: 64 << 10)
        try await Self.waitUntil(seconds: 30) { try await site.archive.catalog.replicas.replicationStatus().first?.lastErrorAt != nil }
        let during = try #require(try await site.archive.catalog.replicas.replicationStatus().first)
        #expect(during.queueDepth > 0, "the versions wait in the outbox")
        #expect(during.permanentFailures == 0, "an outage is never a reason to give up")
        proxy = try await TCPProxy.start(port: proxyPort, target: moto.port)
        try await Self.waitUntil(seconds: 90) { try await site.archive.catalog.replicas.replicationStatus().first?.queueDepth == 0 }
        let stored = Set(try await direct.list().objects.map(\.key))
        for blob in Set(blobs) {
            #expect(stored.contains(TargetLayout.blobKey(blob)))
            #expect(BlobID(of: Array(try await direct.get(TargetLayout.blobKey(blob)).readableBytesView)) == blob, "none corrupted")
        }
        proxy.stop()
    }

    // MARK: DICOM node

    /// dcmtk's storescp as the PACS "PACS", writing what it receives to `directory`.
    struct PACS {
        let port = LoopbackPort.free()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storescp-\(UUID().uuidString)").path

        func start() async throws -> BackgroundProcess {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let process = try BackgroundProcess("/usr/bin/storescp", ["-aet", "PACS", "-od", directory, String(port)], environment: ["TCP_NODELAY": "1"])
            try await LoopbackPort.waitUntilListening(port)
            return process
        }

        func target(for site: Site) throws -> DICOMNodeTarget {
            DICOMNodeTarget(name: "pacs", node: try #require(DICOMNode("PACS@127.0.0.1:\(port)")),
                            callingAETitle: try #require(AETitle(validating: "LIFEBOAT")), local: site.archive.blobs)
        }

        /// The SOP Instance UIDs of the files received.
        func received() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: directory).map {
                try DICOMFile(path: "\(directory)/\($0)", options: .headerOnly).dataSet.uid(.sopInstanceUID) ?? ""
            }
        }
    }

    @Test func aDICOMNodeReceivesEveryInstanceByCStore() async throws {
        let pacs = PACS()
        let storescp = try await pacs.start()
        defer { storescp.stop(); try? FileManager.default.removeItem(atPath: pacs.directory) }
        let site = try Site()
        try await site.store(5, study: "1.2.826.0.5.1")
        try await site.replicate([try pacs.target(for: site)])
        let received = try pacs.received()
        #expect(received.count == 5, "\(received)")
        #expect(Set(received) == Set((0..<5).map { "1.2.826.0.5.1.9.\($0)" }))
    }

    // MARK: Synchronous mode

    @Test func inSyncModeAnAcknowledgedInstanceIsAlreadyAtTheQuorum() async throws {
        let site = try Site()
        let nas = site.root + "-nas"
        defer { try? FileManager.default.removeItem(atPath: nas) }
        let (ingestor, task) = try await site.synchronous(try FileSystemTarget(name: "nas", root: nas), timeout: .seconds(30), policy: .fail)
        defer { task.cancel() }
        for index in 0..<5 {
            let refusal = try await site.store(index, study: "1.2.826.0.6.1", through: ingestor)
            #expect(refusal == nil)
            let versions = try await site.archive.catalog.versions(of: "1.2.826.0.6.1.9.\(index)")
            let blob = try #require(versions.last?.blob)
            #expect(Self.sha256(ofFile: "\(nas)/\(TargetLayout.blobKey(blob))") == blob, "at the target before the answer")
        }
        // A repeat of one already there is answered at once from the catalog.
        #expect(try await site.store(0, study: "1.2.826.0.6.1", through: ingestor) == nil)
    }

    @Test func inSyncModeWithTheQuorumDownTheStoreFailsOrIsAcceptedPerPolicy() async throws {
        let site = try Site()
        let down = S3Target(name: "offsite", client: S3Client(location: try #require(S3Location(endpoint: "http://127.0.0.1:\(LoopbackPort.free())", bucket: "b")),
                                                                credentials: S3Credentials(accessKeyID: "id", secretAccessKey: "secret"), timeout: .seconds(2)))
        for policy in [SyncQuorum.Policy.fail, .accept] {
            let (ingestor, task) = try await site.synchronous(down, timeout: .milliseconds(800), policy: policy)
            defer { task.cancel() }
            let study = policy == .fail ? "1.2.826.0.7.1" : "1.2.826.0.7.2"
            let refusal = try await site.store(0, study: study, through: ingestor)
            if policy == .fail {
                #expect(refusal?.code == .notReplicated, "refused so the modality retries: \(String(describing: refusal))")
                #expect(refusal?.message.contains("not yet at 1 other site") == true)
            } else {
                #expect(refusal == nil, "accepted, with an alert")
            }
            #expect(try await site.archive.catalog.versions(of: "\(study).9.0").count == 1, "stored here either way")
            #expect(try await site.archive.catalog.replicas.replicationStatus().first?.queueDepth ?? 0 >= 1, "and still owed to the target")
        }
    }

    @Test func aDICOMNodeStoppedMidStreamAndStartedAgainGetsEveryInstance() async throws {
        let pacs = PACS()
        var storescp = try await pacs.start()
        defer { try? FileManager.default.removeItem(atPath: pacs.directory) }
        let site = try Site()
        let replicator = Replicator(targets: [try pacs.target(for: site)], catalog: site.archive.catalog, store: try site.archive.catalog.replicas, blobs: site.archive.blobs,
                                    backoff: Backoff(initial: .milliseconds(200), ceiling: .seconds(1)))
        let task = Task { try await replicator.run() }
        defer { task.cancel() }
        try await site.store(10, study: "1.2.826.0.9.1", pixels: 256 << 10)
        try await Self.waitUntil(seconds: 30) { try !pacs.received().isEmpty }
        storescp.stop() // the PACS goes down mid-stream
        try await site.store(10, study: "1.2.826.0.9.2", pixels: 256 << 10)
        try await Self.waitUntil(seconds: 30) { try await site.archive.catalog.replicas.replicationStatus().first?.lastErrorAt != nil }
        #expect(try await site.archive.catalog.replicas.replicationStatus().first?.permanentFailures == 0, "a PACS down is not a reason to give up")
        storescp = try await pacs.start()
        defer { storescp.stop() }
        try await Self.waitUntil(seconds: 60) { try await site.archive.catalog.replicas.replicationStatus().first?.queueDepth == 0 }
        #expect(Set(try pacs.received()) == Set((0..<10).flatMap { ["1.2.826.0.9.1.9.\($0)", "1.2.826.0.9.2.9.\($0)"] }),
                "every instance, whatever was in flight")
    }

    @Test func backoffDoublesToItsCeilingAndStartsOverAfterASuccess() {
        var backoff = Backoff(initial: .seconds(1), ceiling: .seconds(5))
        #expect([backoff.failed(), backoff.failed(), backoff.failed(), backoff.failed()] == [.seconds(1), .seconds(2), .seconds(4), .seconds(5)])
        backoff.succeeded()
        #expect(backoff.failed() == .seconds(1))
    }
}
