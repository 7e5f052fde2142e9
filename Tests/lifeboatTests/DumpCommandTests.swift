import DICOM
import Foundation
import TestSupport
import Testing

/// The `lifeboat` binary as a user runs it.
@Suite struct DumpCommandTests {
    /// The built `lifeboat` next to this test bundle.
    static let binary: URL = {
        var directory = Bundle.main.bundleURL
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("lifeboat")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/lifeboat").standardized
    }()

    static func lifeboat(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(binary.path, arguments)
    }

    static func pydicomData() throws -> String { try PydicomData.directory() }

    @Test func versionAndHelp() throws {
        let version = try Self.lifeboat(["--version"])
        #expect(version.status == 0)
        #expect(version.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try Self.lifeboat(["dump", "--help"])
        #expect(help.status == 0)
        #expect(help.text.contains("Examples:"))
    }

    @Test func dumpsAFileLikeDcmdump() throws {
        let path = try Self.pydicomData() + "/test_files/CT_small.dcm"
        let run = try Self.lifeboat(["dump", path])
        #expect(run.status == 0)
        #expect(run.text.contains("(0010,0010) PN [CompressedSamples^CT1]"))
        #expect(run.text.contains("# 22, 1 PatientName"))
        #expect(run.text.contains("(0002,0010) UI [1.2.840.10008.1.2.1]"))
        #expect(run.text.contains("  (FFFE,E000) na (Item 1)"), "sequence items indented")
        #expect(run.text.contains("(7FE0,0010) OW (not loaded: 32768 bytes at byte"))
    }

    @Test func dumpsTheJSONModel() throws {
        let path = try Self.pydicomData() + "/test_files/CT_small.dcm"
        let run = try Self.lifeboat(["dump", "--json", path])
        #expect(run.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: run.output) as? [String: Any])
        let name = (json["00100010"] as? [String: Any])?["Value"] as? [[String: String]]
        #expect(name?.first?["Alphabetic"] == "CompressedSamples^CT1")
        let pixels = try #require((json["7FE00010"] as? [String: Any])?["BulkDataURI"] as? String)
        #expect(pixels.hasPrefix("file://") && pixels.contains("CT_small.dcm?offset=") && pixels.hasSuffix("&length=32768"))
    }

    @Test func dumpsEveryPydicomTestFileOrSaysWhyNot() throws {
        let data = try Self.pydicomData()
        var files: [String] = []
        for folder in ["test_files", "charset_files"] {
            let enumerator = FileManager.default.enumerator(atPath: "\(data)/\(folder)")
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let path = "\(data)/\(folder)/\(name)"
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
            }
        }
        // no_meta.dcm is a data set shifted by a stray first byte: refused too.
        let notDICOM = ["README.txt", "test1.json", "test_PN.json", "crayons.icc", "zipMR.gz", "rtplan.dump", "rtstruct.dump", "README", "FileInfo.txt", "no_meta.dcm"]
        var dumped = 0
        var encapsulated = 0
        for path in files {
            let run = try Self.lifeboat(["dump", path])
            if notDICOM.contains(URL(fileURLWithPath: path).lastPathComponent) {
                #expect(run.status == 1, "\(path) is not DICOM")
                #expect(run.errors.hasPrefix("lifeboat dump: \(path): "), "\(run.errors)")
            } else {
                #expect(run.status == 0, "\(path): \(run.errors)")
                #expect(run.text.contains("# Data set"))
                dumped += 1
                // And as DICOM JSON: encapsulated pixel data by a URI naming its items in the file.
                let json = try Self.lifeboat(["dump", "--json", path])
                #expect(json.status == 0, "\(path): \(json.errors)")
                guard let uri = (((try? JSONSerialization.jsonObject(with: json.output)) as? [String: Any])?["7FE00010"] as? [String: Any])?["BulkDataURI"] as? String,
                      let query = URLComponents(string: uri)?.queryItems, let offset = query.first(where: { $0.name == "offset" })?.value.flatMap(Int.init),
                      (try? DICOMFile(path: path, options: .headerOnly))?.transferSyntax.isEncapsulated == true else { continue }
                let handle = try #require(FileHandle(forReadingAtPath: path))
                try handle.seek(toOffset: UInt64(offset))
                #expect(try handle.read(upToCount: 4) == Data([0xFE, 0xFF, 0x00, 0xE0]), "\(path): the URI's offset is the first item's tag")
                try handle.close()
                encapsulated += 1
            }
        }
        #expect(dumped > 175)
        #expect(encapsulated > 30, "\(encapsulated) files with encapsulated pixel data given by URI")
    }

    @Test func strictRefusesABareDataSet() throws {
        let path = try Self.pydicomData() + "/test_files/ExplVR_LitEndNoMeta.dcm"
        let run = try Self.lifeboat(["dump", "--strict", path])
        #expect(run.status == 1)
        #expect(run.errors.contains("no \"DICM\" prefix"))
        #expect(try Self.lifeboat(["dump", path]).status == 0, "read leniently by default")
    }
}
