@testable import Archive
import DICOM
import Foundation
import Testing

/// The ingest pipeline behind C-STORE, on a real SQLite catalog and a real or in-memory
/// blob store: every duplicate and failure case.
@Suite struct IngestTests {
    static let ctImage = "1.2.840.10008.5.1.4.1.1.2"
    static let explicitLE = "1.2.840.10008.1.2.1"

    /// A data set of a small CT image.
    static func dataSet(instance: String = "1.2.3.4.1", sopClass: String = ctImage, study: String? = "1.2.3.1",
                        pixels: [UInt8] = [UInt8](repeating: 7, count: 2048)) -> DataSet {
        var set = DataSet()
        func put(_ tag: Tag, _ vr: VR, _ value: String) { set[tag] = DataElement(tag: tag, vr: vr, strings: [value]) }
        put(.sopClassUID, .UI, sopClass)
        put(.sopInstanceUID, .UI, instance)
        put(.studyDate, .DA, "20261122")
        put(.modality, .CS, "CT")
        put(.patientName, .PN, "Doe^Jane")
        put(.patientID, .LO, "P1")
        if let study { put(.studyInstanceUID, .UI, study) }
        put(.seriesInstanceUID, .UI, "1.2.3.2")
        set[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: pixels)
        return set
    }

    struct Archive {
        let ingestor: Ingestor
        let memory: MemoryBlobStore?
        let root: String
    }

    static func withArchive(memory: Bool = false, _ body: (Archive) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let local = try LocalBlobStore(root: root)
        let store = memory ? MemoryBlobStore() : nil
        let ingestor = Ingestor(blobs: store ?? local, catalog: try Catalog(path: root + "/catalog.sqlite"), stagingDirectory: local.stagingDirectory)
        try await body(Archive(ingestor: ingestor, memory: store, root: root))
    }

    /// Sends a data set through an ingest session in fragments, as an association does; why it
    /// was refused, nil when stored.
    static func store(_ dataSet: DataSet, to ingestor: Ingestor, instance: String = "1.2.3.4.1", sopClass: String = ctImage) async throws -> IngestError? {
        try await store(bytes: try dataSet.encoded(in: .explicitVRLittleEndian), to: ingestor, instance: instance, sopClass: sopClass)
    }

    static func store(bytes: [UInt8], to ingestor: Ingestor, instance: String = "1.2.3.4.1", sopClass: String = ctImage) async throws -> IngestError? {
        do throws(IngestError) {
            let session = try session(ingestor, instance: instance, sopClass: sopClass)
            for start in stride(from: 0, to: bytes.count, by: 500) {
                try session.write(Array(bytes[start..<min(start + 500, bytes.count)]))
            }
            _ = try await session.finish()
            return nil
        } catch {
            return error
        }
    }

    static func session(_ ingestor: Ingestor, instance: String = "1.2.3.4.1", sopClass: String = ctImage) throws(IngestError) -> IngestSession {
        try IngestSession(ingestor: ingestor, expecting: .init(sopClassUID: sopClass, sopInstanceUID: instance), transferSyntaxUID: explicitLE,
                          provenance: Provenance(source: .dimse, callingAETitle: "CT1", calledAETitle: "LIFEBOAT", peerAddress: "10.0.0.7"))
    }

    static func stagingIsEmpty(_ ingestor: Ingestor) throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: ingestor.stagingDirectory).isEmpty
    }

    @Test func aStoredInstanceIsAPart10FileInTheBlobStoreAndARowInTheCatalog() async throws {
        try await Self.withArchive { archive async throws in
            let dataSet = Self.dataSet()
            #expect(try await Self.store(dataSet, to: archive.ingestor) == nil)
            let versions = try await archive.ingestor.catalog.versions(of: "1.2.3.4.1")
            #expect(versions.count == 1)
            let version = try #require(versions.first)
            #expect(version.callingAETitle == "CT1")
            #expect(version.transferSyntaxUID == Self.explicitLE)
            let path = try #require(archive.ingestor.blobs.localPath(of: version.blob))
            let file = try DICOMFile(path: path)
            #expect(file.dataSet == dataSet, "the data set is kept byte for byte")
            #expect(file.fileMeta.uid(.mediaStorageSOPInstanceUID) == "1.2.3.4.1")
            #expect(try await archive.ingestor.blobs.verify(version.blob))
            #expect(version.size == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
            #expect(try Self.stagingIsEmpty(archive.ingestor))
        }
    }

    @Test func theSameBytesAgainAreASuccessWithNothingNewStored() async throws {
        try await Self.withArchive { archive async throws in
            #expect(try await Self.store(Self.dataSet(), to: archive.ingestor) == nil)
            #expect(try await Self.store(Self.dataSet(), to: archive.ingestor) == nil)
            #expect(try await archive.ingestor.catalog.versions(of: "1.2.3.4.1").count == 1)
            #expect(try await archive.ingestor.blobs.list(prefix: "").count == 1)
            #expect(try Self.stagingIsEmpty(archive.ingestor))
        }
    }

    @Test func otherBytesUnderAKnownUIDAreANewVersionAndTheFirstIsKept() async throws {
        try await Self.withArchive { archive async throws in
            #expect(try await Self.store(Self.dataSet(pixels: [1, 2, 3, 4]), to: archive.ingestor) == nil)
            #expect(try await Self.store(Self.dataSet(pixels: [5, 6, 7, 8]), to: archive.ingestor) == nil)
            let versions = try await archive.ingestor.catalog.versions(of: "1.2.3.4.1")
            #expect(versions.map(\.number) == [1, 2])
            for version in versions { #expect(try await archive.ingestor.blobs.verify(version.blob)) }
            let first = try DICOMFile(path: try #require(archive.ingestor.blobs.localPath(of: versions[0].blob)))
            #expect(first.dataSet[.pixelData]?.bytes == [1, 2, 3, 4])
            #expect(try await archive.ingestor.catalog.counts().instances == 1)
        }
    }

    @Test func aDataSetOfAnotherSOPClassIsRefusedWithA900() async throws {
        try await Self.withArchive { archive async throws in
            let outcome = try await Self.store(Self.dataSet(sopClass: "1.2.840.10008.5.1.4.1.1.4"), to: archive.ingestor)
            #expect(outcome?.code == .sopClassMismatch)
            #expect(outcome?.message.contains("1.2.840.10008.5.1.4.1.1.4") == true)
            #expect(try await archive.ingestor.catalog.counts().versions == 0)
            #expect(try await archive.ingestor.blobs.list(prefix: "") == [])
            #expect(try Self.stagingIsEmpty(archive.ingestor))
        }
    }

    @Test func anotherSOPInstanceUIDIsRefusedWithC000() async throws {
        try await Self.withArchive { archive async throws in
            let outcome = try await Self.store(Self.dataSet(instance: "1.2.3.4.99"), to: archive.ingestor)
            #expect(outcome?.code == .sopInstanceMismatch)
            #expect(try await archive.ingestor.blobs.list(prefix: "") == [])
        }
    }

    @Test func aDataSetWithoutAStudyUIDIsRefusedWithC000() async throws {
        try await Self.withArchive { archive async throws in
            let outcome = try await Self.store(Self.dataSet(study: nil), to: archive.ingestor)
            #expect(outcome?.code == .cannotUnderstand)
            #expect(outcome?.message == "Study Instance UID (0020,000D) is missing")
            #expect(try Self.stagingIsEmpty(archive.ingestor))
        }
    }

    @Test func bytesThatAreNoDataSetAreRefusedWithC000() async throws {
        try await Self.withArchive { archive async throws in
            let outcome = try await Self.store(bytes: [0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xFF, 0x7F, 0x31], to: archive.ingestor)
            #expect(outcome?.code == .cannotUnderstand)
            #expect(try await archive.ingestor.catalog.counts().versions == 0)
            #expect(try Self.stagingIsEmpty(archive.ingestor))
        }
    }

    @Test func aFullBlobStoreAnswersA700AndTheNextStoreSucceedsOnceThereIsRoom() async throws {
        try await Self.withArchive(memory: true) { archive async throws in
            let memory = try #require(archive.memory)
            memory.failPuts(with: .outOfSpace("no space left on device"))
            let refused = try await Self.store(Self.dataSet(), to: archive.ingestor)
            #expect(refused?.code == .outOfSpace)
            #expect(try await archive.ingestor.catalog.counts().versions == 0, "nothing half-recorded")
            #expect(try Self.stagingIsEmpty(archive.ingestor))
            memory.failPuts(with: nil)
            #expect(try await Self.store(Self.dataSet(), to: archive.ingestor) == nil)
            #expect(try await archive.ingestor.catalog.counts().versions == 1)
        }
    }

    @Test func anAbortedStoreLeavesNothing() async throws {
        try await Self.withArchive { archive async throws in
            let session = try Self.session(archive.ingestor)
            try session.write(Array(try Self.dataSet().encoded(in: .explicitVRLittleEndian).prefix(100)))
            session.cancel()
            #expect(try Self.stagingIsEmpty(archive.ingestor))
            #expect(try await archive.ingestor.blobs.list(prefix: "") == [])
        }
    }

    @Test func concurrentStoresAreAllRecorded() async throws {
        try await Self.withArchive { archive async throws in
            let outcomes = try await withThrowingTaskGroup(of: IngestError?.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await Self.store(Self.dataSet(instance: "1.2.3.4.\(index + 1)"), to: archive.ingestor, instance: "1.2.3.4.\(index + 1)")
                    }
                }
                return try await group.reduce(into: [IngestError?]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == nil })
            #expect(try await archive.ingestor.catalog.counts() == Catalog.Counts(patients: 1, studies: 1, series: 1, instances: 40, versions: 40))
            #expect(try await archive.ingestor.blobs.list(prefix: "").count == 40)
        }
    }
}
