import AsyncHTTPClient
import Archive
import DICOM
import Foundation
import NIOCore
import Replication
import TestSupport
import Testing

/// One `lifeboat serve` replicating to a second one over HTTP (its `lifeboat` target and the
/// other's accept-replication), the second killed with SIGKILL mid-stream and started again.
@Suite(.serialized) struct ServePeerReplicationTests {
    static let token = "a-replication-token-of-some-length"

    /// A `lifeboat serve` with its data in `root`.
    struct Node {
        let root: String
        let dicomPort = LoopbackPort.free()
        let httpPort = LoopbackPort.free()
        var config: String { root + "/lifeboat.yaml" }

        func start(_ yaml: String, token: String = ServePeerReplicationTests.token) async throws -> BackgroundProcess {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try "data: \(root)/data\nhttp-port: \(httpPort)\n\(yaml)".write(toFile: config, atomically: true, encoding: .utf8)
            let process = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--config", config, "--dicom-port", "\(dicomPort)"],
                                                environment: ["LIFEBOAT_REPLICATION_TOKEN": token])
            try await LoopbackPort.waitUntilListening(dicomPort, of: process)
            try await LoopbackPort.waitUntilListening(httpPort, of: process)
            return process
        }

        var catalog: Catalog { get throws { try Catalog(path: LocalArchive.catalogPath(in: root + "/data")) } }
    }

    static func corpus(_ count: Int, in work: String) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: work + "/corpus", withIntermediateDirectories: true)
        _ = try await Subprocess.succeed("/usr/bin/env", ["python3", ServeArchiveTests.root + "/Benchmarks/make-ct-corpus.py", work + "/corpus", "\(count)"])
        return try FileManager.default.contentsOfDirectory(atPath: work + "/corpus").sorted().map { "\(work)/corpus/\($0)" }
    }

    @Test func aSecondLifeboatKilledMidStreamEndsUpWithEveryInstanceIntact() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let files = try await Self.corpus(60, in: work)
        let a = Node(root: work + "/a"), b = Node(root: work + "/b")
        var siteB = try await b.start("accept-replication: true\n")
        let siteA = try await a.start("replication-targets:\n  - {name: site-b, type: lifeboat, url: \"http://127.0.0.1:\(b.httpPort)\", concurrency: 2}\n")
        defer { siteA.stop() }
        // B is killed once copies arrive there, and A goes on receiving: what arrives while B
        // is down waits in A's outbox.
        func send(_ files: ArraySlice<String>) async throws {
            let sent = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/storescu", "-aec", "LIFEBOAT", "127.0.0.1", "\(a.dicomPort)"] + files)
            #expect(sent.status == 0, "\(sent.failures)")
        }
        let catalogA = try a.catalog
        try await send(files.prefix(20))
        try await Polling.waitUntil(seconds: 60) { try await b.catalog.counts().instances >= 3 }
        siteB.killAbruptly()
        try await send(files.dropFirst(20))
        #expect(try await catalogA.replicas.replicationStatus().first?.queueDepth ?? 0 >= 40, "owed while B is down")
        try await Polling.waitUntil(seconds: 30) { try await catalogA.replicas.replicationStatus().first?.lastErrorAt != nil }
        siteB = try await b.start("accept-replication: true\n")
        defer { siteB.stop() }
        try await Polling.waitUntil(seconds: 120) { try await catalogA.replicas.replicationStatus().first?.queueDepth == 0 }

        let blobsA = try await catalogA.blobs(withPrefix: "")
        let catalogB = try b.catalog
        #expect(try await catalogB.blobs(withPrefix: "") == blobsA, "the same versions, byte for byte, under the same names")
        #expect(try await catalogB.counts().instances == files.count, "and cataloged: the second site can answer queries")
        let storeB = try LocalBlobStore(root: b.root + "/data")
        for blob in blobsA { #expect(try await storeB.verify(blob), "none corrupted") }
        let first = try #require(try DICOMFile(path: files[0], options: .headerOnly).dataSet.uid(.sopInstanceUID))
        #expect(try await catalogB.versions(of: first).first?.source == "replica", "recorded as a replica")
    }

    @Test func aWrongTokenOrBytesThatDoNotMatchTheirNameAreRefused() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let files = try await Self.corpus(2, in: work)
        let b = Node(root: work + "/b")
        let siteB = try await b.start("accept-replication: true\n")
        defer { siteB.stop() }
        let bytes = try #require(FileManager.default.contents(atPath: files[0]))
        let name = BlobID(of: Array(bytes)).hex
        func put(_ body: Data, as name: String, token: String) async throws -> UInt {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(b.httpPort)/api/replication/blobs/\(name)")
            request.method = .PUT
            request.headers.add(name: "authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(bytes: body))
            return try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code
        }
        #expect(try await put(bytes, as: name, token: "not-the-token") == 401)
        #expect(try await put(bytes, as: name, token: "") == 401)
        var changed = bytes
        changed[changed.count - 1] ^= 0xFF
        #expect(try await put(changed, as: name, token: Self.token) == 422, "bytes that do not hash to the name")
        #expect(try await b.catalog.counts().instances == 0, "nothing stored by any of them")
        // A sender that goes away mid-body leaves nothing staged behind.
        do {
            let raw = try RawConnection(port: b.httpPort)
            raw.send(Array("PUT /api/replication/blobs/\(name) HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer \(Self.token)\r\nContent-Length: \(bytes.count)\r\n\r\n".utf8)
                     + Array(bytes.prefix(1000)))
            try await Polling.waitUntil(seconds: 10) { try FileManager.default.contentsOfDirectory(atPath: b.root + "/data/tmp").count == 1 }
        }
        try await Polling.waitUntil(seconds: 10) { try FileManager.default.contentsOfDirectory(atPath: b.root + "/data/tmp").isEmpty }
        #expect(try await put(bytes, as: name, token: Self.token) == 201)
        #expect(try await put(bytes, as: name, token: Self.token) == 200, "a repeat is a no-op")
        #expect(try await b.catalog.counts().instances == 1)
        // Each copy received and each refused is on site B's audit trail.
        let trail = try await SecurityServeTests.waitForRecord(b.root + "/data") { $0.detail == "replica already held" }
        #expect(trail?.actor == "replication" && trail?.subject == "blob \(name)")
        let records = try SecurityServeTests.records(b.root + "/data")
        #expect(records.filter { $0.action == .rejection && $0.detail == "PUT refused: wrong or missing replication token" }.count == 2)
        #expect(records.contains { $0.action == .rejection && $0.subject == "blob \(name)" && $0.detail.hasPrefix("PUT refused: the bytes hash to ") })
        #expect(records.contains { $0.action == .store && $0.succeeded && $0.detail == "replica stored" })

        // A sender with the wrong token keeps the versions queued and says why.
        let a = Node(root: work + "/a")
        let siteA = try await a.start("replication-targets:\n  - {name: site-b, type: lifeboat, url: \"http://127.0.0.1:\(b.httpPort)\"}\n",
                                      token: "a-wrong-token-also-long-enough")
        defer { siteA.stop() }
        let sent = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/storescu", "-aec", "LIFEBOAT", "127.0.0.1", "\(a.dicomPort)", files[1]])
        #expect(sent.status == 0, "\(sent.failures)")
        let catalogA = try a.catalog
        try await Polling.waitUntil(seconds: 30) { try await catalogA.replicas.replicationStatus().first?.lastError != nil }
        let status = try #require(try await catalogA.replicas.replicationStatus().first)
        #expect(status.lastError?.contains("401") == true, "\(status.lastError ?? "")")
        #expect(status.queueDepth == 1 && status.permanentFailures == 0)

        // What an administrator sees.
        let table = try await Subprocess.run(DumpCommandTests.binary.path, ["replication", "status", "--data", a.root + "/data"])
        #expect(table.status == 0, "no version failed for good: \(table.errors)")
        let row = try #require(table.text.split(separator: "\n").first { $0.hasPrefix("site-b\t") }, "\(table.text)")
        #expect(row.split(separator: "\t")[1] == "1" && row.contains("401"), "\(row)")
        let json = try await Subprocess.run(DumpCommandTests.binary.path, ["replication", "status", "--data", a.root + "/data", "--json"])
        let targets = try #require(try JSONSerialization.jsonObject(with: json.output) as? [[String: Any]])
        #expect(targets.first?["name"] as? String == "site-b" && targets.first?["queueDepth"] as? Int == 1)
        #expect(try await Subprocess.run(DumpCommandTests.binary.path, ["replication", "retry", "site-b", "--data", a.root + "/data"]).text
            == "0 versions are queued again for site-b\n")
        let unknown = try await Subprocess.run(DumpCommandTests.binary.path, ["replication", "retry", "nowhere", "--data", a.root + "/data"])
        #expect(unknown.status != 0 && unknown.errors.contains("no replication target named nowhere"))
    }
}
