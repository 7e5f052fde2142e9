import Archive
import DICOM
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
@testable import Web

/// Zero-loss invariant 3 on the way out: a stored file whose bytes no longer hash to its name
/// is never sent whole — WADO-RS and WADO-URI read it through the blob store's verified reader,
/// which ends in an error before the last piece.
struct DamagedBlobRetrieveTests {
    /// What a response body was given, up to an error.
    final class Sent: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    struct CollectingWriter: ResponseBodyWriter {
        let sent: Sent
        mutating func write(_ buffer: ByteBuffer) async throws { sent.bytes.withLock { $0 += Array(buffer.readableBytesView) } }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// Changes the last byte of the version's blob on disk: only the hash can tell.
    static func damage(_ fixture: DICOMwebTests.Fixture, _ instance: String) async throws -> (StoredInstance, [UInt8]) {
        let engine = QueryEngine(catalog: fixture.archive.catalog, blobs: fixture.archive.blobs)
        let stored = try #require(try await engine.storedInstances(matching: CatalogQuery(level: .image, keys: [
            MatchKey(tag: .sopInstanceUID, vr: .UI, matching: .single(instance)),
        ])).first)
        let path = try #require(fixture.archive.blobs.localPath(of: stored.blob))
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0xFF
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (stored, bytes)
    }

    @Test func theBodyEndsInAnErrorBeforeTheLastByte() async throws {
        try await DICOMwebTests.withApp { _, fixture in
            let (stored, bytes) = try await Self.damage(fixture, "1.2.3.2.1.1")
            let sent = Sent()
            var writer: any ResponseBodyWriter = CollectingWriter(sent: sent)
            await #expect(throws: Problem.self) {
                try await DICOMweb.stream(stored, from: fixture.archive.blobs, to: &writer, logger: Logger(label: "test"))
            }
            #expect(sent.bytes.withLock { $0.count } < bytes.count, "the damaged file was not written whole")
        }
    }

    @Test func noRetrieveAnswersADamagedFileWhole() async throws {
        try await DICOMwebTests.withApp { client, fixture in
            let (_, bytes) = try await Self.damage(fixture, "1.2.3.2.1.1")
            for (uri, accept) in [("/dicom-web/studies/1.2.3.2/series/1.2.3.2.1/instances/1.2.3.2.1.1", "application/dicom; transfer-syntax=*"),
                                  ("/dicom-web/studies/1.2.3.2", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"),
                                  ("/wado?requestType=WADO&studyUID=1.2.3.2&seriesUID=1.2.3.2.1&objectUID=1.2.3.2.1.1", "application/dicom")] {
                do {
                    try await client.execute(uri: uri, method: .get, headers: [.accept: accept]) { response throws in
                        Issue.record("\(uri) answered \(response.status) with \(response.body.readableBytes) bytes (the file is \(bytes.count))")
                    }
                } catch {
                    // The body was cut off by the error: the client has no whole response.
                }
            }
        }
    }
}
