import Archive
import DICOM
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
@testable import Web

/// Frames in the form a viewer asks for (PS3.18 8.7.3): the table of Accept headers against
/// stored syntaxes, then OHIF v3's own request replayed against every compressed syntax of
/// pydicom's test files, each part's Content-Type checked.
@Suite struct FrameNegotiationTests {
    static let j2k = TransferSyntax(uid: "1.2.840.10008.1.2.4.90", isExplicitVR: true, isEncapsulated: true)
    static let jls = TransferSyntax(uid: "1.2.840.10008.1.2.4.80", isExplicitVR: true, isEncapsulated: true)
    static let ohif = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*"

    @Test(arguments: [
        // accept, stored, decodable, form
        (nil, j2k, true, FrameNegotiation.Form.stored(mediaType: "image/jp2")),
        (ohif, j2k, true, .stored(mediaType: "application/octet-stream")),
        ("multipart/related; type=\"application/octet-stream\"", j2k, true, .native),
        ("multipart/related; type=\"application/octet-stream\"", j2k, false, nil),
        ("multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1", jls, true, .native),
        ("multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.4.80", jls, true,
         .stored(mediaType: "application/octet-stream")),
        ("multipart/related; type=\"image/jls\"", jls, true, .stored(mediaType: "image/jls")),
        ("multipart/related; type=\"image/jls\"", j2k, true, nil),
        ("multipart/related; type=\"image/jp2\"; transfer-syntax=1.2.840.10008.1.2.4.90", j2k, true, .stored(mediaType: "image/jp2")),
        // q-values first, then the order written: the later range with the higher q wins.
        ("multipart/related; type=\"image/jp2\"; q=0.5, multipart/related; type=\"application/octet-stream\"", j2k, true, .native),
        ("multipart/related; type=\"image/jls\", multipart/related; type=\"image/jp2\"", j2k, true, .stored(mediaType: "image/jp2")),
        ("multipart/related; type=\"image/jp2\"; q=0", j2k, true, nil),
        ("*/*", j2k, false, .stored(mediaType: "image/jp2")),
        (ohif, TransferSyntax.explicitVRLittleEndian, true, .native),
        ("multipart/related; type=\"image/jpeg\"", TransferSyntax.explicitVRLittleEndian, true, nil),
    ] as [(String?, TransferSyntax, Bool, FrameNegotiation.Form?)])
    func acceptAgainstStoredSyntax(accept: String?, stored: TransferSyntax, decodable: Bool, form: FrameNegotiation.Form?) {
        #expect(FrameNegotiation(accept: accept).form(storedIn: stored, decodable: decodable) == form, "\(accept ?? "no Accept")")
    }

    /// OHIF v3 asks `transfer-syntax=*` and reads each part's Content-Type to pick its decoder;
    /// a viewer without decoders asks octet-stream alone and gets native samples.
    @Test func ohifsFrameRequestsForEveryCompressedSyntax() async throws {
        let directory = try PydicomData.directory() + "/test_files"
        let names = ["JPEG2000.dcm", "J2K_pixelrep_mismatch.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_gdcm.dcm", "SC_rgb_jls_lossy_line.dcm",
                     "MR_small_jpeg_ls_lossless.dcm", "SC_rgb_rle.dcm", "JPEG-lossy.dcm", "CT_small.dcm"]
        try await DICOMwebTests.withApp { client, fixture in
            var syntaxes = Set<String>()
            for name in names {
                let path = try Self.withStudy(directory + "/" + name, in: fixture.root)
                guard case .imported = await Importer(ingestor: fixture.archive.ingestor).importFile(at: path) else { Issue.record("\(name)"); continue }
                let header = try DICOMFile(path: path, options: .headerOnly).dataSet
                let frames = try Frames(path: path)
                syntaxes.insert(frames.transferSyntax.uid)
                let uri = "/dicom-web/studies/\(header.uid(.studyInstanceUID)!)/series/\(header.uid(.seriesInstanceUID)!)/instances/"
                    + "\(header.uid(.sopInstanceUID)!)/frames/1"
                try await client.execute(uri: uri, method: .get, headers: [.accept: Self.ohif]) { response throws in
                    #expect(response.status == .ok, "\(name)")
                    let parts = try Self.parts(response)
                    let expected = frames.isEncapsulated ? frames.transferSyntax.uid : TransferSyntax.explicitVRLittleEndian.uid
                    #expect(parts.first?.type == "application/octet-stream; transfer-syntax=\(expected)", "\(name)")
                    #expect(parts.first?.bytes == (frames.isEncapsulated ? try frames.frame(1) : try frames.nativeFrame(1).bytes), "\(name)")
                }
                try await client.execute(uri: uri, method: .get, headers: [.accept: "multipart/related; type=\"application/octet-stream\""]) { response throws in
                    #expect(response.status == .ok, "\(name)")
                    let parts = try Self.parts(response)
                    #expect(parts.first?.type == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1", "\(name)")
                    #expect(parts.first?.bytes == (try frames.nativeFrame(1).bytes), "\(name): decoded")
                }
            }
            #expect(syntaxes.count == 9, "\(syntaxes)") // eight compressed, one native
        }
    }

    /// The file, or a copy given the Study and Series Instance UIDs some test files lack
    /// (ingest refuses an instance without them).
    static func withStudy(_ path: String, in directory: String) throws -> String {
        var file = try DICOMFile(path: path)
        guard file.dataSet.uid(.studyInstanceUID) == nil else { return path }
        file.dataSet[.studyInstanceUID] = DataElement(tag: .studyInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.10.19.1"])
        file.dataSet[.seriesInstanceUID] = DataElement(tag: .seriesInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.10.19.1.1"])
        let copy = directory + "/with-study-" + URL(fileURLWithPath: path).lastPathComponent
        try file.write(toPath: copy)
        return copy
    }

    static func parts(_ response: TestResponse) throws -> [(type: String?, bytes: [UInt8])] {
        let contentType = try #require(response.headers[.contentType])
        let (_, boundary) = try #require(Multipart.parameters(of: contentType))
        var parser = MultipartParser(boundary: boundary)
        var parts: [(type: String?, bytes: [UInt8])] = []
        for event in try parser.feed(response.body) {
            switch event {
            case .partBegins(let headers): parts.append((headers["content-type"], []))
            case .partBytes(let bytes): parts[parts.count - 1].bytes += bytes.readableBytesView
            case .partEnds: break
            }
        }
        return parts
    }
}
