import Foundation
import TestSupport
import Testing
@testable import Web

/// Images whose native originals are known, compressed by DCMTK's own tools every lossless
/// way they have (JPEG process 14 with selection values 1 to 7 and as SV1, JPEG-LS, RLE): 8-bit RGB and
/// palette, 12-bit in 16, signed 16-bit, a 3-frame image. Each must decode to its original,
/// sample for sample — a reference no decoder supplies.
@Suite struct CodecLosslessTests {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/make_codec_corpus.py").path

    @Test func dcmtksLosslessEncodingsDecodeToTheirOriginals() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codec-corpus-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Subprocess.run("python3", [Self.helper, directory])
        #expect(run.status == 0, "\(run.errors)")
        var checked = 0, frames = 0, syntaxes = Set<String>()
        for line in run.text.split(separator: "\n") {
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            guard let file = entry["file"], let source = entry["source"] else {
                Issue.record("DCMTK did not make \(entry["way"] ?? "?") of \(entry["source"] ?? "?"): \(entry["refused"] ?? "")")
                continue
            }
            let compressed = try Frames(path: file), original = try Frames(path: source)
            #expect(compressed.isEncapsulated && compressed.count == original.count, "\(file)")
            for number in 1...compressed.count {
                let decoded = try compressed.nativeFrame(number)
                #expect(decoded.bytes == (try original.frame(number)), "\(URL(fileURLWithPath: file).lastPathComponent) frame \(number)")
                #expect(decoded.description.photometric == original.description.photometric, "\(file)")
                frames += 1
            }
            checked += 1
            syntaxes.insert(compressed.transferSyntax.uid)
        }
        print("lossless corpus: \(checked) files made by DCMTK, \(frames) frames equal to their originals, syntaxes \(syntaxes.sorted())")
        #expect(checked == 70) // 7 images, 10 ways each
        #expect(syntaxes == ["1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.5"])
    }
}
