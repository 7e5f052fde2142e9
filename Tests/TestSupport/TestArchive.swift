import Archive
import DICOM
import Foundation
import Replication
import Testing

/// An archive in a new temporary directory, removed when the test ends, with small CT
/// instances stored through the C-STORE path and replication run on demand.
public final class TestArchive: Sendable {
    public static let ctImage = "1.2.840.10008.5.1.4.1.1.2"
    public let root: String
    public let archive: LocalArchive

    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)").path
        archive = try LocalArchive(root: root)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Stores `count` small CT instances of one study through the C-STORE path.
    @discardableResult
    public func store(_ count: Int, study: String, pixels: Int = 4096) async throws -> [BlobID] {
        for index in 0..<count {
            let refusal = try await store(index, study: study, pixels: pixels, through: archive.ingestor)
            try #require(refusal == nil, "stored: \(refusal!)")
        }
        return try await blobs()
    }

    /// Stores instance `index` of `study` through `ingestor` as a C-STORE's data set arrives
    /// (an `IngestSession`); why it was refused, nil when it was stored.
    public func store(_ index: Int, study: String, series: String? = nil, pixels: Int = 4096, through ingestor: Ingestor) async throws -> IngestError? {
        let instance = "\(series ?? study).9.\(index)"
        var set = DataSet()
        func put(_ tag: DICOM.Tag, _ vr: VR, _ value: String) { set[tag] = DataElement(tag: tag, vr: vr, strings: [value]) }
        put(.sopClassUID, .UI, Self.ctImage)
        put(.sopInstanceUID, .UI, instance)
        put(.studyInstanceUID, .UI, study)
        put(.seriesInstanceUID, .UI, series ?? "\(study).1")
        put(.patientID, .LO, "P-\(study)")
        put(.patientName, .PN, "Doe^Jane")
        put(.modality, .CS, "CT")
        set[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: (0..<pixels).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        let bytes = try set.encoded(in: .explicitVRLittleEndian)
        do throws(IngestError) {
            let session = try IngestSession(ingestor: ingestor, expecting: .init(sopClassUID: Self.ctImage, sopInstanceUID: instance),
                                            transferSyntaxUID: "1.2.840.10008.1.2.1",
                                            provenance: Provenance(source: .dimse, callingAETitle: "CT1", calledAETitle: "LIFEBOAT", peerAddress: "127.0.0.1"))
            try session.write(bytes)
            _ = try await session.finish()
            return nil
        } catch {
            return error
        }
    }

    /// Every stored version's blob.
    public func blobs() async throws -> [BlobID] { Array(try await archive.catalog.blobs(withPrefix: "")).sorted() }
}

extension TestArchive {
    /// Replication to `target` in synchronous mode, running until the returned task is
    /// cancelled, and the ingest that waits on its quorum of one.
    public func synchronous(_ target: any ReplicationTarget, timeout: Duration, policy: SyncQuorum.Policy) async throws -> (Ingestor, Task<Void, Never>) {
        let quorum = SyncQuorum(targets: [target.name], quorum: 1, timeout: timeout, policy: policy, replicas: try archive.catalog.replicas)
        var ingestor = archive.ingestor
        ingestor.quorum = quorum
        let replicator = Replicator(targets: [target], catalog: archive.catalog, store: try archive.catalog.replicas, blobs: archive.blobs, quorum: quorum)
        try await replicator.activate()
        return (ingestor, Task { await replicator.drain() })
    }

    public func replicator(_ targets: [any ReplicationTarget]) throws -> Replicator {
        try Replicator(targets: targets, catalog: archive.catalog, store: try archive.catalog.replicas, blobs: archive.blobs)
    }

    /// Runs replication until every target owes nothing and its manifests are written
    /// (or `seconds` pass), then stops it.
    public func replicate(_ targets: [any ReplicationTarget], seconds: Double = 60, until done: @Sendable () async throws -> Bool = { true }) async throws {
        let task = Task { try await replicator(targets).run() }
        defer { task.cancel() }
        try await Polling.waitUntil(seconds: seconds) {
            let status = try await archive.catalog.replicas.replicationStatus().filter { $0.active }
            guard status.count == targets.count, status.allSatisfy({ $0.queueDepth == 0 }) else { return false }
            return try await done()
        }
    }
}

extension TestArchive {
    /// These blobs, copied into a store that keeps no local files (as an object store would).
    public func pathlessCopy(of blobs: [BlobID]) async throws -> MemoryBlobStore {
        try await MemoryBlobStore.copy(of: blobs, from: archive.blobs)
    }
}

extension MemoryBlobStore {
    /// These blobs of `store` (all of them when nil), in a new store that keeps no local files.
    public static func copy(of blobs: [BlobID]? = nil, from store: LocalBlobStore) async throws -> MemoryBlobStore {
        let memory = MemoryBlobStore()
        let all = if let blobs { blobs } else { try await store.list(prefix: "") }
        for blob in all {
            let file = try StagingFile(in: store.stagingDirectory)
            try file.write(try await store.read(blob, range: nil))
            _ = try await memory.put(try file.finish())
        }
        return memory
    }
}

extension Catalog {
    /// Replication's store in this catalog's database (its migrations run on first use).
    public var replicas: SQLiteReplicationStore {
        get throws { try SQLiteReplicationStore(pool: pool) }
    }
}
