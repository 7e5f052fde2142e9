import Archive
import DICOM
import DICOMNetwork
import Foundation
import LifeboatServer
import NIOCore
import Testing

/// The Storage SCP over the real archive: what the archive says (`IngestError`) reaches the
/// modality as the C-STORE status PS3.4 B.2.3 gives it.
struct StoreServiceTests {
    static let ctImage = "1.2.840.10008.5.1.4.1.1.2"

    /// PS3.4 B.2.3 (and PS3.7 C.4.2 for a processing failure).
    static let storeStatuses: [IngestError.Code: DIMSEStatus] = [
        .cannotUnderstand: .cannotUnderstand, .sopInstanceMismatch: .cannotUnderstand, .studyMismatch: .cannotUnderstand,
        .sopClassMismatch: .dataSetDoesNotMatchSOPClass,
        .outOfSpace: .outOfResources, .storageFailed: .outOfResources, .notReplicated: .outOfResources, .cannotCopy: .processingFailure,
    ]

    @Test(arguments: IngestError.Code.allCases)
    func eachRefusalHasItsStatus(code: IngestError.Code) throws {
        let status = try #require(Self.storeStatuses[code], "\(code) has no status in the table")
        #expect(DIMSEStatus(storing: code) == status)
        #expect(ServiceOutcome(IngestError(code, "why")) == ServiceOutcome(status: status, errorComment: "why"))
    }

    @Test(arguments: [(QueryError.Code.invalidIdentifier, DIMSEStatus.identifierDoesNotMatchSOPClass), (.unableToProcess, .unableToProcess)])
    func eachQueryErrorHasItsStatus(code: QueryError.Code, status: DIMSEStatus) {
        #expect(DIMSEStatus(querying: code) == status)
    }

    @Test func aDataSetGoesInFragmentByFragmentAndEachRefusalIsAnsweredWithItsStatus() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("store-service-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let local = try LocalBlobStore(root: root)
        let memory = MemoryBlobStore()
        let service = StoreService(ingestor: Ingestor(blobs: memory, catalog: try Catalog(path: root + "/catalog.sqlite"),
                                                      stagingDirectory: local.stagingDirectory))
        func store(sopClass: String = Self.ctImage, instance: String = "1.2.3.4.1", sentAs sent: String = "1.2.3.4.1") async throws -> ServiceOutcome {
            var set = DataSet()
            func put(_ tag: DICOM.Tag, _ vr: VR, _ value: String) { set[tag] = DataElement(tag: tag, vr: vr, strings: [value]) }
            put(.sopClassUID, .UI, sopClass)
            put(.sopInstanceUID, .UI, instance)
            put(.studyInstanceUID, .UI, "1.2.3.1")
            put(.seriesInstanceUID, .UI, "1.2.3.2")
            put(.patientID, .LO, "P1")
            set[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: [UInt8](repeating: 7, count: 2048))
            let bytes = try set.encoded(in: .explicitVRLittleEndian)
            let sink = try await service.beginStore(StoreRequest(sopClassUID: Self.ctImage, sopInstanceUID: sent, transferSyntaxUID: "1.2.840.10008.1.2.1",
                                                                 callingAETitle: "CT1", calledAETitle: "LIFEBOAT", messageID: 1, peerAddress: "10.0.0.7"))
            for start in stride(from: 0, to: bytes.count, by: 700) {
                try await sink.write(ByteBuffer(bytes: bytes[start..<min(start + 700, bytes.count)]))
            }
            return await sink.finish()
        }
        let mr = "1.2.840.10008.5.1.4.1.1.4"
        let otherClass = try await store(sopClass: mr)
        #expect(otherClass.status == .dataSetDoesNotMatchSOPClass && otherClass.errorComment?.contains(mr) == true)
        #expect(try await store(instance: "1.2.3.4.99").status == .cannotUnderstand)
        memory.failPuts(with: .outOfSpace("no space left on device"))
        #expect(try await store() == ServiceOutcome(status: .outOfResources, errorComment: "out of space: the instance was not stored"))
        memory.failPuts(with: nil)
        #expect(try await store() == .success)
        #expect(try FileManager.default.contentsOfDirectory(atPath: local.stagingDirectory).isEmpty, "nothing staged is left behind")
    }
}
