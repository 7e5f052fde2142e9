import DICOM
import Foundation
import Testing

/// Every file in the test set pydicom ships: each well-formed one parses, agrees with
/// pydicom element for element, and round-trips byte for byte; each broken one is
/// refused with a typed error, or read leniently where pydicom reads it.
@Suite struct CorpusTests {
    /// Files that are not DICOM at all.
    static let notDICOM: Set<String> = [
        "test_files/README.txt", "test_files/test1.json", "test_files/test_PN.json", "test_files/crayons.icc",
        "test_files/zipMR.gz", "test_files/rtplan.dump", "test_files/rtstruct.dump",
        "test_files/dicomdirtests/README.txt", "test_files/dicomdirtests/TINY_ALPHA/README", "charset_files/FileInfo.txt",
        // A data set with a stray first byte: its first tag reads (0820,0500). pydicom's forced
        // read gives that one bogus element; Lifeboat refuses it in both modes.
        "test_files/no_meta.dcm",
    ]

    /// Deliberately broken files, why, and what a strict read must say.
    static let broken: [String: DICOMError.Code] = [
        "test_files/rtstruct.dcm": .notPart10, // the same
        "test_files/ExplVR_BigEndNoMeta.dcm": .notPart10,
        "test_files/ExplVR_LitEndNoMeta.dcm": .notPart10,
        "test_files/meta_missing_tsyntax.dcm": .invalidFileMeta, // meta group without (0002,0010)
        "test_files/MR_truncated.dcm": .lengthPastEnd, // pixel data cut short
        "test_files/rtplan_truncated.dcm": .lengthPastEnd, // cut inside a sequence
        "test_files/SC_rgb_jpeg.dcm": .invalidVR, // declares explicit VR, is implicit
        "test_files/dicomdirtests/DICOMDIR-nooffset": .lengthPastEnd, // elements cut out, sequence length not updated
    ]

    struct Corpus {
        let root: String
        let files: [String]
        let views: [String: [String: Any]]
    }

    static func load() throws -> Corpus {
        let (root, files) = try Pydicom.corpus()
        let dicomFiles = files.filter { !notDICOM.contains($0) || $0.hasSuffix(".dcm") }
        return Corpus(root: root, files: files, views: try Pydicom.views(root: root, files: dicomFiles))
    }

    @Test func wellFormedFilesMatchPydicomAndRoundTrip() throws {
        let corpus = try Self.load()
        let wellFormed = corpus.files.filter { !Self.notDICOM.contains($0) && Self.broken[$0] == nil }
        #expect(wellFormed.count > 150, "pydicom ships about 180 well-formed files; found \(wellFormed.count)")
        for name in wellFormed {
            let path = "\(corpus.root)/\(name)"
            let view = try #require(corpus.views[name], "no pydicom view of \(name)")
            #expect(view["mode"] as? String == "strict", "pydicom does not read \(name) strictly: \(view)")
            let file: DICOMFile
            do {
                file = try DICOMFile(path: path)
            } catch {
                Issue.record("\(name): \(error)")
                continue
            }
            let meta = Canonical.differences(Canonical.listing(file.fileMeta), view["meta"] as! [[String: Any]], path: "meta")
            let data = Canonical.differences(Canonical.listing(file.dataSet), view["elements"] as! [[String: Any]])
            #expect(meta.isEmpty && data.isEmpty, "\(name) differs from pydicom:\n\((meta + data).prefix(8).joined(separator: "\n"))")

            let original = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            let written = try file.serialized()
            #expect(written == original, "\(name): written back \(written.count) bytes, first difference at \(firstDifference(written, original))")
        }
    }

    /// What ingest checks (`StructureCheck`): every well-formed file is whole; the ones cut
    /// short are not, and say where.
    @Test func wellFormedFilesAreWholeAndCutOnesAreNot() throws {
        let corpus = try Self.load()
        for name in corpus.files where !Self.notDICOM.contains(name) && Self.broken[name] == nil {
            #expect(throws: Never.self, "\(name)") { _ = try StructureCheck.read(path: "\(corpus.root)/\(name)") }
        }
        let cut = #expect(throws: StructureCheck.Problem.self) { try StructureCheck.read(path: "\(corpus.root)/test_files/MR_truncated.dcm") }
        #expect(cut?.summary == "Pixel Data (7FE0,0010) runs past the end of the data set")
        let plan = #expect(throws: StructureCheck.Problem.self) { try StructureCheck.read(path: "\(corpus.root)/test_files/rtplan_truncated.dcm") }
        #expect(plan?.summary.hasSuffix("runs past the end of the data set") == true, "\(String(describing: plan))")
    }

    @Test func headerOnlyReadsStopAtPixelData() throws {
        let corpus = try Self.load()
        for name in corpus.files where !Self.notDICOM.contains(name) && Self.broken[name] == nil {
            let path = "\(corpus.root)/\(name)"
            let full = try DICOMFile(path: path)
            let header = try DICOMFile.readHeader(path: path)
            let expected = full.dataSet.elements.prefix { !$0.tag.isPixelData }
            #expect(header.dataSet.elements == Array(expected), "\(name): header-only read differs from the full read")
            #expect((header.pixelDataOffset != nil) == full.dataSet.elements.contains { $0.tag.isPixelData }, "\(name)")
        }
    }

    @Test func bulkReadsLeaveLargeValuesInTheFileAndWriteThemBack() throws {
        let corpus = try Self.load()
        for name in corpus.files where !Self.notDICOM.contains(name) && Self.broken[name] == nil {
            let path = "\(corpus.root)/\(name)"
            let file = try DICOMFile(path: path, options: ReadOptions(bulkDataThreshold: 256))
            let original = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(try file.serialized() == original, "\(name): a bulk read written back differs")
        }
    }

    @Test func brokenFilesAreRefusedStrictlyAndReadLenientlyLikePydicom() throws {
        let corpus = try Self.load()
        for (name, code) in Self.broken.sorted(by: { $0.key < $1.key }) {
            let path = "\(corpus.root)/\(name)"
            let error = #expect(throws: DICOMError.self, "\(name) must be refused strictly") { try DICOMFile(path: path) }
            #expect(error?.code == code, "\(name): \(String(describing: error))")
            let view = try #require(corpus.views[name])
            let file = try DICOMFile(path: path, options: .lenient)
            let data = Canonical.differences(Canonical.listing(file.dataSet), view["elements"] as! [[String: Any]])
            #expect(data.isEmpty, "\(name) read leniently differs from pydicom:\n\(data.prefix(8).joined(separator: "\n"))")
        }
    }

    @Test func filesThatAreNotDICOMAreRefusedWithATypedError() throws {
        let corpus = try Self.load()
        for name in Self.notDICOM.sorted() {
            let path = "\(corpus.root)/\(name)"
            #expect(throws: DICOMError.self, "\(name)") { try DICOMFile(path: path) }
            let lenient = #expect(throws: DICOMError.self, "\(name), leniently") { try DICOMFile(path: path, options: .lenient) }
            #expect(lenient?.code == .notDICOM, "\(name): \(String(describing: lenient))")
        }
    }
}

func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
}
