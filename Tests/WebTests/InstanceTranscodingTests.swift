import Archive
import DICOM
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
@testable import Web

/// WADO-RS instances in the syntax asked for (PS3.18 8.7.3.5.2): as stored for `*`, the
/// stored syntax or none; decoded for Explicit or Implicit VR Little Endian — pixels checked
/// with pydicom against the reference decode of the original —; 406 for what cannot be made.
@Suite struct InstanceTranscodingTests {
    static let explicitLE = TransferSyntax.explicitVRLittleEndian, implicitLE = TransferSyntax.implicitVRLittleEndian
    static let j2k = TransferSyntax(uid: "1.2.840.10008.1.2.4.91")!

    @Test(arguments: [
        (nil, j2k, true, InstanceNegotiation.Form.stored, true),
        ("multipart/related; type=\"application/dicom\"", j2k, true, .stored, true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=*", j2k, true, .stored, true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.91", j2k, true, .stored, true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1", j2k, true, .uncompressed(explicitLE), true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2", explicitLE, true, .uncompressed(implicitLE), true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1", explicitLE, true, .stored, true),
        ("application/dicom; transfer-syntax=1.2.840.10008.1.2.1", j2k, true, .uncompressed(explicitLE), false),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50, "
            + "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1; q=0.5", j2k, true, .uncompressed(explicitLE), true),
        ("*/*", j2k, true, .stored, true),
    ] as [(String?, TransferSyntax, Bool, InstanceNegotiation.Form, Bool)])
    func acceptAgainstStoredSyntax(accept: String?, stored: TransferSyntax, decodable: Bool, form: InstanceNegotiation.Form, multipart: Bool) {
        let chosen = InstanceNegotiation(accept: accept).form(storedIn: stored, decodable: decodable)
        #expect(chosen?.form == form && chosen?.multipart == multipart, "\(accept ?? "no Accept")")
    }

    @Test(arguments: [
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50", j2k, true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1", j2k, false),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.2", j2k, true),
        ("multipart/related; type=\"application/octet-stream\"", j2k, true),
        ("multipart/related; type=\"application/dicom\"; transfer-syntax=*; q=0", j2k, true),
    ] as [(String, TransferSyntax, Bool)])
    func whatCannotBeMadeIsNotAcceptable(accept: String, stored: TransferSyntax, decodable: Bool) {
        #expect(InstanceNegotiation(accept: accept).form(storedIn: stored, decodable: decodable) == nil, "\(accept)")
    }

    /// Compressed images of every family, Big Endian and deflated ones, each its own study.
    static let names = ["JPEG2000.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_gdcm.dcm", "JPGExtended.dcm",
                        "SC_rgb_jls_lossy_line.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm",
                        "MR_small_bigendian.dcm", "image_dfl.dcm"]

    @Test func eachInstanceGoesDecodedWhenAskedAndAsStoredOtherwise() async throws {
        let source = try PydicomData.directory() + "/test_files"
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("wado-transcode-\(UUID())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await DICOMwebTests.withApp { client, fixture in
            var pairs: [String] = []
            for (index, name) in Self.names.enumerated() {
                var file = try DICOMFile(path: "\(source)/\(name)")
                let study = "1.2.826.0.1.3680043.10.91.\(index + 1)", instance = "\(study).1.1"
                for (tag, value) in [(Tag.studyInstanceUID, study), (.seriesInstanceUID, "\(study).1"), (.sopInstanceUID, instance)] {
                    file.dataSet[tag] = DataElement(tag: tag, vr: .UI, strings: [value])
                }
                file.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: [instance])
                let original = "\(scratch)/\(name)"
                try file.write(toPath: original)
                guard case .imported = await Importer(ingestor: fixture.archive.ingestor).importFile(at: original) else { Issue.record("\(name)"); continue }
                let uri = "/dicom-web/studies/\(study)/series/\(study).1/instances/\(instance)"
                let accept = "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"
                try await client.execute(uri: uri, method: .get, headers: [.accept: accept]) { response throws in
                    #expect(response.status == .ok, "\(name): \(String(buffer: response.body))")
                    let parts = try FrameNegotiationTests.parts(response)
                    #expect(parts.count == 1 && parts.first?.type == "application/dicom; transfer-syntax=1.2.840.10008.1.2.1", "\(name)")
                    let copy = "\(scratch)/decoded-\(name)"
                    try Data(parts.first?.bytes ?? []).write(to: URL(fileURLWithPath: copy))
                    pairs.append("\(original) \(copy)")
                }
                // As stored, byte for byte, for * and when nothing is said.
                let blob = try #require(try await fixture.archive.catalog.versions(of: instance).last?.blob)
                let stored = try Array(Data(contentsOf: URL(fileURLWithPath: try #require(fixture.archive.blobs.localPath(of: blob)))))
                for asked in ["multipart/related; type=\"application/dicom\"; transfer-syntax=*", "multipart/related; type=\"application/dicom\""] {
                    try await client.execute(uri: uri, method: .get, headers: [.accept: asked]) { response throws in
                        let parts = try FrameNegotiationTests.parts(response)
                        #expect(parts.first?.bytes == stored && parts.first?.type == "application/dicom; transfer-syntax=\(file.transferSyntax.uid)", "\(name)")
                    }
                }
                // A compressed syntax it is not stored in: not made here.
                if file.transferSyntax.uid != "1.2.840.10008.1.2.4.50" {
                    let jpeg = "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50"
                    try await client.execute(uri: uri, method: .get, headers: [.accept: jpeg]) { response throws in
                        #expect(response.status == .notAcceptable, "\(name)")
                    }
                }
            }
            // Single part, Implicit VR Little Endian, for one instance.
            let uri = "/dicom-web/studies/1.2.826.0.1.3680043.10.91.1/series/1.2.826.0.1.3680043.10.91.1.1/instances/1.2.826.0.1.3680043.10.91.1.1.1"
            try await client.execute(uri: uri, method: .get, headers: [.accept: "application/dicom; transfer-syntax=1.2.840.10008.1.2"]) { response throws in
                #expect(response.status == .ok && response.headers[.contentType] == "application/dicom; transfer-syntax=1.2.840.10008.1.2")
                let copy = "\(scratch)/implicit.dcm"
                try Data(response.body.readableBytesView).write(to: URL(fileURLWithPath: copy))
                pairs.append("\(scratch)/JPEG2000.dcm \(copy)")
            }
            try pairs.joined(separator: "\n").appending("\n").write(toFile: "\(scratch)/pairs", atomically: true, encoding: .utf8)
            let compare = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/compare_transcoded.py").path
            let run = try await Subprocess.run("python3", [compare, "\(scratch)/pairs"])
            var compared = 0
            for line in run.text.split(separator: "\n") {
                let result = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])
                let original = URL(fileURLWithPath: result["original"] as? String ?? "").lastPathComponent
                let allowed = ["JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm", "JPGExtended.dcm", "SC_rgb_jls_lossy_line.dcm", "implicit.dcm"].contains(original) ? 1 : 0
                #expect(result["error"] == nil && (result["difference"] as? Int).map { $0 <= allowed } == true, "\(result)")
                // A lossy original's copy says so (PS3.3 C.7.6.1.1.5); a lossless one's does not claim it.
                #expect(result["lossy"] as? String == (allowed == 1 ? "01" : ""), "\(result)")
                compared += 1
            }
            #expect(compared == Self.names.count + 1, "\(run.errors.suffix(1000))")
        }
    }
}
