import DICOM
@testable import DICOMNetwork
import Foundation
import NIOCore
import Testing

/// The file store behind `lifeboat serve`: never overwrites, never leaves half an instance.
@Suite struct FileStoreProviderTests {
    static func request(_ uid: String) -> StoreRequest {
        StoreRequest(sopClassUID: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUID: uid, transferSyntaxUID: "1.2.840.10008.1.2.1",
                     callingAETitle: "MODALITY", calledAETitle: "LIFEBOAT", messageID: 1)
    }

    static func store(_ provider: FileStoreProvider, _ uid: String, _ bytes: [UInt8]) async throws -> StoreOutcome {
        let sink = try await provider.beginStore(request(uid))
        try await sink.write(ByteBuffer(bytes: bytes))
        return await sink.finish()
    }

    @Test func sameUIDWithOtherBytesIsKeptBesideTheFirst() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let provider = try FileStoreProvider(directory: directory)
        #expect(try await Self.store(provider, "1.2.3", [1, 2, 3, 4]) == .success)
        #expect(try await Self.store(provider, "1.2.3", [5, 6, 7, 8]) == .success)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".dcm") }.sorted()
        #expect(names.count == 2, "\(names)")
        let first = try Array(Data(contentsOf: URL(fileURLWithPath: "\(directory)/1.2.3.dcm")))
        #expect(first.suffix(4) == [1, 2, 3, 4], "the first instance is untouched")
        let second = try #require(names.first { $0 != "1.2.3.dcm" })
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(second)"))).suffix(4) == [5, 6, 7, 8])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/tmp").isEmpty)
    }

    @Test func cancelledInstanceLeavesNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let provider = try FileStoreProvider(directory: directory)
        let sink = try await provider.beginStore(Self.request("1.2.4"))
        try await sink.write(ByteBuffer(bytes: [1, 2]))
        await sink.cancel()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["tmp"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/tmp").isEmpty)
    }

    @Test func aUIDThatIsNotAUIDIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let provider = try FileStoreProvider(directory: directory)
        let error = await #expect(throws: StoreError.self) { try await provider.beginStore(Self.request("../../etc/passwd")) }
        #expect(error?.outcome.status == .cannotUnderstand)
    }
}
