import Archive
import DICOM
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
@testable import Web

/// OHIF v3's requests, in its order, for a study of every compressed syntax and a native
/// one: the study list (QIDO with includefield, fuzzymatching=false), the study's series,
/// the series metadata, each instance's frames with `transfer-syntax=*` (the part's
/// Content-Type naming the stored syntax), the series thumbnail; then the measurements it
/// saves as a structured report by STOW-RS, found again by QIDO and read back.
@Suite struct OHIFSequenceTests {
    static let makeReport = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../InteropTests/Helpers/make_report.py").standardized.path

    @Test func ohifsRequestsForEverySyntaxThenItsReport() async throws {
        let directory = try PydicomData.directory() + "/test_files"
        let names = ["JPEG2000.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_gdcm.dcm", "JPGExtended.dcm",
                     "SC_rgb_jls_lossy_line.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm", "examples_ybr_color.dcm", "CT_small.dcm"]
        try await DICOMwebTests.withApp { client, fixture in
            var syntaxes = Set<String>()
            for (index, name) in names.enumerated() {
                // Each its own study (several of pydicom's files share UIDs), all of one patient.
                var file = try DICOMFile(path: "\(directory)/\(name)")
                let study = "1.2.826.0.1.3680043.10.92.\(index + 1)", series = "\(study).1", instance = "\(study).1.1"
                for (tag, value) in [(Tag.studyInstanceUID, study), (.seriesInstanceUID, series), (.sopInstanceUID, instance)] {
                    file.dataSet[tag] = DataElement(tag: tag, vr: .UI, strings: [value])
                }
                file.dataSet[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: ["Ohif^Sequence"])
                file.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: [instance])
                let path = "\(fixture.root)/ohif-\(name)"
                try file.write(toPath: path)
                guard case .imported = await Importer(ingestor: fixture.archive.ingestor).importFile(at: path) else { Issue.record("\(name)"); continue }
                syntaxes.insert(file.transferSyntax.uid)

                let json = { (uri: String) async throws -> [[String: Any]] in
                    var found: [[String: Any]] = []
                    try await client.execute(uri: uri, method: .get, headers: [.accept: "application/dicom+json"]) { response throws in
                        #expect(response.status == .ok, "\(name): \(uri)")
                        found = (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]) ?? []
                    }
                    return found
                }
                let studies = try await json("/dicom-web/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030%2C00080060"
                                             + "&StudyInstanceUID=\(study)")
                #expect(studies.count == 1, "\(name)")
                let seriesList = try await json("/dicom-web/studies/\(study)/series")
                #expect(seriesList.count == 1, "\(name)")
                let metadata = try await json("/dicom-web/studies/\(study)/series/\(series)/metadata")
                let pixelData = metadata.first?["7FE00010"] as? [String: Any]
                #expect(pixelData?["BulkDataURI"] != nil, "\(name): pixel data as a bulk data URI")
                let frames = Int(DICOMwebTests.value(metadata.first ?? [:], "00280008") as? String ?? "") ?? (DICOMwebTests.value(metadata.first ?? [:], "00280008") as? Int) ?? 1
                let uri = "/dicom-web/studies/\(study)/series/\(series)/instances/\(instance)/frames/\((1...frames).map(String.init).joined(separator: ","))"
                try await client.execute(uri: uri, method: .get,
                                         headers: [.accept: "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*"]) { response throws in
                    #expect(response.status == .ok, "\(name)")
                    let parts = try FrameNegotiationTests.parts(response)
                    let expected = file.transferSyntax.isEncapsulated ? file.transferSyntax.uid : TransferSyntax.explicitVRLittleEndian.uid
                    #expect(parts.count == frames && parts.allSatisfy { $0.type == "application/octet-stream; transfer-syntax=\(expected)" && !$0.bytes.isEmpty },
                            "\(name): \(parts.map(\.type))")
                }
                try await client.execute(uri: "/dicom-web/studies/\(study)/series/\(series)/thumbnail", method: .get,
                                         headers: [.accept: "image/jpeg, image/png"]) { response throws in
                    #expect(response.status == .ok && ["image/jpeg", "image/png"].contains(response.headers[.contentType] ?? ""), "\(name)")
                }
            }
            #expect(syntaxes.count == 9, "\(syntaxes)") // eight compressed, one native

            // OHIF saves measurements as an SR by STOW-RS into the study shown.
            let study = "1.2.826.0.1.3680043.10.92.1"
            let report = fixture.root + "/report.dcm"
            let made = try await Subprocess.run("python3", [Self.makeReport, report, "Ohif^Sequence", "OHIF1", study, "20261207"])
            try #require(made.status == 0, "\(made.errors)")
            var body = ByteBuffer()
            body.writeString("--ohif\r\nContent-Type: application/dicom\r\n\r\n")
            body.writeBytes(try Data(contentsOf: URL(fileURLWithPath: report)))
            body.writeString("\r\n--ohif--\r\n")
            try await client.execute(uri: "/dicom-web/studies", method: .post,
                                     headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=ohif", .accept: "application/dicom+json"],
                                     body: body) { response throws in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            try await client.execute(uri: "/dicom-web/studies/\(study)/series?Modality=SR", method: .get,
                                     headers: [.accept: "application/dicom+json"]) { response throws in
                let found = (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]) ?? []
                #expect(found.count == 1, "the report is found in its study")
                let uid = found.first.flatMap { DICOMwebTests.value($0, "0020000E") as? String } ?? ""
                try await client.execute(uri: "/dicom-web/studies/\(study)/series/\(uid)/metadata", method: .get,
                                         headers: [.accept: "application/dicom+json"]) { response throws in
                    #expect(String(buffer: response.body).contains("No acute abnormality."), "its content read back")
                }
            }
        }
    }
}
