import Archive
import Codecs
import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// Peers that take only uncompressed syntaxes — dcmtk's storescp and getscu as they come, with
/// no option — get every compressed instance, decoded on the way: by the sender (failback,
/// replication, `lifeboat send`), by C-MOVE and by C-GET. The copies are checked with pydicom
/// against the reference decode of the originals: lossless ones sample for sample, lossy ones
/// within one level and marked Lossy Image Compression 01.
@Suite(.serialized) struct TranscodingTests {
    static let compare = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../WebTests/Helpers/compare_transcoded.py").standardized.path
    static let lossy: Set<String> = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
                                     "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203"]

    /// The corpus's compressed images the codec layer decodes, and its Big Endian and deflated
    /// ones (which dcmtk takes as they are, or re-encoded).
    static func compressed() throws -> [Interop.CorpusFile] {
        try Interop.corpus().filter { file in
            guard file.transferSyntax.isEncapsulated, FrameDecoder.decodes(file.transferSyntax.uid),
                  let read = try? DICOMFile(path: file.path, options: ReadOptions(bulkDataThreshold: 4096)), let open = read.bulkDataFile,
                  let frames = try? StoredFrames(read.dataSet, transferSyntax: read.transferSyntax, file: open) else { return false }
            // The ones the reference can decode too (the codec corpus test holds the rest).
            return (try? frames.decodedFrame(1)) != nil
        }
    }

    /// dcmtk's storescp with its default syntaxes: Explicit VR Little and Big Endian, Implicit VR Little Endian.
    static func withUncompressedOnlyStorescp(_ body: (Int, String) async throws -> Void) async throws {
        let directory = try RetrieveTests.temporaryDirectory("uncompressed-only")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = LoopbackPort.free()
        let storescp = try BackgroundProcess("/usr/bin/storescp", ["-aet", "STORESCP", "-od", directory, "\(port)"], environment: ["TCP_NODELAY": "1"])
        defer { storescp.stop() }
        try await LoopbackPort.waitUntilListening(port, of: storescp)
        try await body(port, directory)
    }

    /// The received files by SOP Instance UID.
    static func receivedFiles(in directory: String) throws -> [String: String] {
        var byUID: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = "\(directory)/\(name)"
            if let uid = try? DICOMFile(path: path, options: .headerOnly).dataSet.uid(.sopInstanceUID) { byUID[uid] = path }
        }
        return byUID
    }

    /// Every original arrived uncompressed, its pixels those of the reference decode; returns how many were compared.
    static func expectDecodedCopies(of originals: [Interop.CorpusFile], in directory: String) async throws -> Int {
        let received = try receivedFiles(in: directory)
        let pairsFile = FileManager.default.temporaryDirectory.appendingPathComponent("pairs-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: pairsFile) }
        var pairs: [String] = []
        for file in originals {
            guard let copy = received[file.sopInstanceUID] else {
                Issue.record("\(file.path) (\(file.transferSyntax.name)) did not arrive")
                continue
            }
            pairs.append("\(file.path) \(copy)")
        }
        try pairs.joined(separator: "\n").appending("\n").write(toFile: pairsFile, atomically: true, encoding: .utf8)
        let run = try await Subprocess.run("python3", [compare, pairsFile])
        #expect(run.status == 0, "\(run.errors.suffix(2000))")
        var compared = 0
        let syntaxOf = Dictionary(originals.map { ($0.path, $0.transferSyntax.uid) }) { first, _ in first }
        for line in run.text.split(separator: "\n") {
            guard let result = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let original = result["original"] as? String, let syntax = syntaxOf[original] else { continue }
            if let error = result["error"] as? String {
                Issue.record("\(original): \(error)")
                continue
            }
            let uncompressed = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid, TransferSyntax.explicitVRBigEndian.uid]
            #expect(uncompressed.contains(result["syntax"] as? String ?? ""), "\(original): arrived in \(result["syntax"] ?? "?")")
            #expect(result["photometric"] as? String == result["expectedPhotometric"] as? String
                    || (result["photometric"] as? String)?.hasPrefix("YBR") == true, "\(original): \(result)")
            guard let difference = result["difference"] as? Int else {
                Issue.record("\(original): shapes differ: \(result)")
                continue
            }
            #expect(difference <= (lossy.contains(syntax) ? 1 : 0), "\(original) (\(syntax)): samples differ by up to \(difference)")
            if ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"].contains(syntax) {
                #expect(result["lossy"] as? String == "01", "\(original): a JPEG lossy original is not marked lossy: \(result)")
            }
            compared += 1
        }
        return compared
    }

    @Test func aSenderGetsEveryCompressedImageToAPeerThatTakesOnlyUncompressed() async throws {
        let files = try Self.compressed()
        #expect(files.count >= 20, "\(files.count) compressed files in the corpus")
        try await Self.withUncompressedOnlyStorescp { port, directory in
            let sender = FileSender(configuration: .init(host: "127.0.0.1", port: port, callingAETitle: "LIFEBOAT", calledAETitle: "STORESCP"))
            let outcomes = await sender.send(files.map(\.path))
            for outcome in outcomes {
                #expect(outcome.succeeded, "\(outcome.path): \(outcome.problem ?? "")")
                #expect(outcome.transcoded?.hasPrefix("decoded from") == true, "\(outcome.path): \(outcome.transcoded ?? "sent as stored")")
            }
            let compared = try await Self.expectDecodedCopies(of: files, in: directory)
            print("transcoding: \(compared) of \(files.count) compressed instances arrived decoded at an uncompressed-only storescp")
            #expect(compared == files.count)
        }
    }

    @Test func cMoveToAnUncompressedOnlyDestinationSendsEveryInstance() async throws {
        try await Self.withUncompressedOnlyStorescp { port, directory in
            try await Interop.withLifeboat(nodes: [DICOMNode(aeTitle: "STORESCP", host: "127.0.0.1", port: port)]) { lifeboat, archive in
                let imported = try await QueryTests.importCorpus(into: archive)
                let decodable = Set(try Self.compressed().map(\.path))
                let files = try Self.compressed().filter { file in imported.contains { $0.path == file.path } }
                // An image the reference cannot decode either (a damaged JPEG 2000 codestream) fails its sub-operation, with the reason.
                let undecodable = imported.filter { $0.header.transferSyntax.isEncapsulated && !decodable.contains($0.path) }
                let studyOf = { (path: String) in (try? DICOMFile(path: path, options: .headerOnly).dataSet.uid(.studyInstanceUID)) ?? nil }
                let failing = Set(undecodable.compactMap { studyOf($0.path) })
                for study in Set(files.compactMap { studyOf($0.path) }).sorted() {
                    let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/movescu", "-v", "-S", "-aec", "LIFEBOAT", "-aem", "STORESCP",
                                                                        "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(study)",
                                                                        "127.0.0.1", "\(lifeboat)"])
                    let said = run.text + run.errors
                    if failing.contains(study) {
                        #expect(said.contains("SubOperationsCompleteOneOrMoreFailures"), "\(study): \(said.suffix(1500))")
                    } else {
                        #expect(run.status == 0, "\(study): \(run.failures) \(said.suffix(1500))")
                    }
                }
                let compared = try await Self.expectDecodedCopies(of: files, in: directory)
                #expect(compared == files.count)
            }
        }
    }

    /// An image whose second frame cannot be decoded is found out only once its first has gone:
    /// the association is aborted (a half-sent data set cannot be taken back), not continued.
    @Test func aFrameThatFailsPartWayAbortsTheCGet() async throws {
        let directory = try RetrieveTests.temporaryDirectory("getscu-broken-frame")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broken = directory + "/broken.dcm"
        let make = try await Subprocess.run("python3", ["-c", """
            import sys
            from pydicom import dcmread
            from pydicom.data import get_testdata_file
            from pydicom.encaps import encapsulate, generate_frames
            ds = dcmread(get_testdata_file("SC_rgb_rle_2frame.dcm"))
            frames = list(generate_frames(ds.PixelData, number_of_frames=2))
            ds.PixelData = encapsulate([frames[0], b"\\x01\\x00\\x00\\x00" + bytes(60)], has_bot=True)
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.93.1"
            ds.save_as(sys.argv[1], enforce_file_format=True)
            """, broken])
        try #require(make.status == 0, "\(make.errors)")
        try await Interop.withLifeboat { lifeboat, archive in
            guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: broken) else { Issue.record("not imported"); return }
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            let study = try #require(try DICOMFile(path: broken, options: .headerOnly).dataSet.uid(.studyInstanceUID))
            let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/getscu", "-v", "-S", "-aec", "LIFEBOAT", "-od", directory + "/out",
                                                                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(study)", "127.0.0.1", "\(lifeboat)"])
            let said = run.text + run.errors
            #expect(run.status != 0 && said.lowercased().contains("abort"), "\(said.suffix(1500))")
            print("broken frame C-GET: \(said.split(separator: "\n").filter { $0.lowercased().contains("abort") }.joined(separator: " / "))")
            #expect(!FileManager.default.fileExists(atPath: directory + "/out/SC.1.2.826.0.1.3680043.10.93.1"), "nothing half-sent was stored")
        }
    }

    @Test func cGetToAnSCUThatTakesOnlyUncompressedSendsEveryInstance() async throws {
        let directory = try RetrieveTests.temporaryDirectory("getscu-uncompressed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Interop.withLifeboat { lifeboat, archive in
            let imported = Set(try await QueryTests.importCorpus(into: archive).map(\.path))
            let files = try Self.compressed().filter { imported.contains($0.path) }
            let studies = Set(files.compactMap { try? DICOMFile(path: $0.path, options: .headerOnly).dataSet.uid(.studyInstanceUID) })
            for study in studies.sorted() {
                // getscu proposes its storage contexts in the uncompressed syntaxes unless told otherwise.
                let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/getscu", "-S", "-aec", "LIFEBOAT", "-od", directory,
                                                                    "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(study)",
                                                                    "127.0.0.1", "\(lifeboat)"])
                #expect(run.status == 0, "\(study): \(run.failures) \((run.text + run.errors).suffix(1500))")
            }
            let compared = try await Self.expectDecodedCopies(of: files, in: directory)
            #expect(compared == files.count)
        }
    }
}
