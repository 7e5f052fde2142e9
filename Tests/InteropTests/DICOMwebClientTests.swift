import Archive
import DICOM
import Foundation
import TestSupport
import Testing

/// The Python dicomweb-client package against Lifeboat's DICOMweb: store, search, retrieve.
@Suite(.serialized) struct DICOMwebClientTests {
    @Test func dicomwebClientStoresSearchesAndRetrieves() async throws {
        let files = try Interop.corpus().filter { $0.path.hasSuffix("CT_small.dcm") || $0.path.hasSuffix("MR_small.dcm") }
        #expect(files.count == 2)
        try await Interop.withDICOMweb { port, archive, login in
            let run = try await Subprocess.run("python3", [Interop.dicomwebHelper, "roundtrip", "http://127.0.0.1:\(port)/dicom-web"] + files.map(\.path),
                                               environment: ["LIFEBOAT_TOKEN": login.token])
            let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
            let uids = files.map(\.sopInstanceUID).sorted()
            #expect(result["anonymousStatus"] as? Int == 401, "no token, no search")
            #expect(result["stored"] as? [String] == uids)
            #expect(result["failed"] as? Int == 0)
            #expect(result["sameContent"] as? Bool == true)
            #expect(result["allStudiesPaged"] as? Int == 2, "limit=1 and dicomweb-client's paging find both studies")
            #expect(result["metadataPatientName"] as? String != nil)
            let ct = try DICOMFile(path: files[0].path, options: .headerOnly)
            let study = try #require(ct.dataSet.uid(.studyInstanceUID))
            #expect((result["studiesFound"] as? [String])?.contains(study) == true)
            #expect(result["retrieved"] as? [String] == [files[0].sopInstanceUID])
            #expect(result["oneInstance"] as? String == files[0].sopInstanceUID)
            for file in files {
                #expect(try await archive.catalog.versions(of: file.sopInstanceUID).map(\.source) == ["stow"])
            }
        }
    }
}
