import Archive
import DICOM
import DICOMNetwork
import Foundation
import LifeboatServer
import TestSupport
import Testing

/// C-MOVE and C-GET from a blob store that keeps no local files (`MemoryBlobStore`, as an
/// object store would): each instance goes from a copy staged through the verified reader,
/// removed when the retrieve ends; a damaged blob fails its sub-operation with the reason.
@Suite(.serialized) struct PathlessRetrieveTests {
    /// The corpus imported into a fresh archive, the same blobs in a store with no local
    /// files, and a Lifeboat SCP that retrieves from that store, staging in `staging`.
    static func withPathlessLifeboat(nodes: [DICOMNode] = [],
                                     _ body: (_ port: Int, _ files: [QueryTests.Imported], _ archive: LocalArchive, _ memory: MemoryBlobStore, _ staging: String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-pathless-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = try LocalArchive(root: directory)
        let files = try await QueryTests.importCorpus(into: archive)
        let memory = try await MemoryBlobStore.copy(from: archive.blobs)
        let staging = directory + "/pathless-staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let query = QueryEngine(catalog: archive.catalog, blobs: memory, retrieveAETitle: "LIFEBOAT")
        let server = DICOMServer(configuration: .init(host: "127.0.0.1", port: 0, policy: AcceptorPolicy(aeTitle: "LIFEBOAT")),
                                 services: AssociationServices(store: StoreService(ingestor: archive.ingestor), query: FindService(engine: query),
                                                               retrieve: RetrieveService(engine: query, nodes: nodes, staging: staging)))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body(port, files, archive, memory, staging)
    }

    /// The staged copies are removed once the retrieve has ended (just after its final response).
    static func expectStagingEmptied(_ staging: String) async throws {
        try await Polling.waitUntil(seconds: 10) { try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty }
    }

    @Test func movescuGetsAStudyFromAStoreWithNoLocalFiles() async throws {
        try await RetrieveTests.withStorescp("pathless-move") { port, directory in
            try await Self.withPathlessLifeboat(nodes: [DICOMNode(aeTitle: "STORESCP", host: "127.0.0.1", port: port)]) { lifeboat, files, archive, memory, staging in
                let study = try RetrieveTests.studyWithSeveralInstances(files)
                let first = try #require(study.files[0].dataSet.uid(.sopInstanceUID))
                let blob = try #require(try await archive.catalog.versions(of: first).last?.blob)
                #expect(memory.localPath(of: blob) == nil)
                let run = try await RetrieveTests.movescu(study.uid, from: lifeboat)
                #expect(run.status == 0, "\(run.failures)")
                #expect((run.text + run.errors).contains("Received Final Move Response (Success)"), "\(run.text + run.errors)")
                try RetrieveTests.expectSame(try RetrieveTests.received(in: directory), as: study.files)
                try await Self.expectStagingEmptied(staging)
            }
        }
    }

    @Test func aDamagedBlobFailsItsCGetSubOperationAndTheRestArrive() async throws {
        let directory = try RetrieveTests.temporaryDirectory("pathless-get")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.withPathlessLifeboat { lifeboat, files, archive, memory, staging in
            let study = try RetrieveTests.studyWithSeveralInstances(files)
            let victim = try #require(study.files.first?.dataSet.uid(.sopInstanceUID))
            let blob = try #require(try await archive.catalog.versions(of: victim).last?.blob)
            var bytes = try await memory.read(blob, range: nil)
            bytes[bytes.count - 1] ^= 0x01 // one bit of rot
            memory.corrupt(blob, with: bytes)
            let last = try await RetrieveTests.pynetdicomGet(study, from: lifeboat, into: directory)
            // PS3.4 C.4.3.1.4: B000, the damaged one failed, the rest sent.
            #expect(last["status"] == 0xB000 && last["failed"] == 1 && last["completed"] == study.files.count - 1)
            let received = try RetrieveTests.received(in: directory)
            #expect(received[victim] == nil && received.count == study.files.count - 1)
            try RetrieveTests.expectSame(received, as: study.files.filter { $0.dataSet.uid(.sopInstanceUID) != victim })
            try await Self.expectStagingEmptied(staging)
        }
    }
}
