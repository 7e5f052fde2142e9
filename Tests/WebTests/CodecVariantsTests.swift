import Foundation
import TestSupport
import Testing
@testable import Web

/// What pydicom's files lack, made by the field's own encoders from originals known here
/// (Helpers/make_codec_variants.py): JPEG extended 12-bit and baseline lossy (one of 3 frames),
/// JPEG-LS near-lossless, JPEG 2000 through its reversible and irreversible colour transforms
/// (YBR_RCT, YBR_ICT), a 3-frame JPEG 2000, HTJ2K lossless and lossy. Each decodes as the
/// reference (pydicom and its plugins) decodes it — lossless ones sample for sample, lossy
/// ones within one level — and, where the encoder bounds the error, within that bound of
/// the original.
@Suite struct CodecVariantsTests {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/make_codec_variants.py").path

    @Test func everyVariantDecodesAsTheReferenceDoesAndWithinItsEncodersBound() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codec-variants-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Subprocess.run("python3", [Self.helper, directory])
        #expect(run.status == 0, "\(run.errors.suffix(1000))")
        var checked: [String] = []
        for line in run.text.split(separator: "\n") {
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let file = try #require(entry["file"] as? String), source = try #require(entry["source"] as? String), way = entry["way"] as? String ?? "?"
            let compressed = try Frames(path: file), original = try Frames(path: source)
            let decoded = try (1...compressed.count).map { try compressed.nativeFrame($0) }
            let bytes = decoded.flatMap(\.bytes)
            // Against the reference decoder.
            let out = directory + "/reference-\(way)"
            let reference = try await Subprocess.run("python3", [CodecCorpusTests.helper, file, out])
            let facts = (try? JSONSerialization.jsonObject(with: reference.output)) as? [String: Any]
            let expected = try #require(FileManager.default.contents(atPath: out), "\(way): \(reference.errors.suffix(500))")
            #expect(decoded[0].description.photometric == facts?["photometric"] as? String, "\(way)")
            #expect(bytes.count == expected.count, "\(way)")
            let lossless = (entry["bound"] as? Int) == 0
            let difference = CodecCorpusTests.largestDifference(bytes, Array(expected), bitsAllocated: compressed.description.bitsAllocated)
            // Lossy: within one level, or (another codebase's inverse DCT rounding otherwise) PSNR at least 60 dB.
            let psnr = Self.psnr(bytes, Array(expected), bitsAllocated: compressed.description.bitsAllocated, bitsStored: compressed.description.bitsStored)
            #expect(difference <= (lossless ? 0 : 1) || (!lossless && psnr >= 60),
                    "\(way): \(difference) from the reference (\(facts?["reference"] ?? "?")), PSNR \(psnr) dB")
            // Against the original, where the encoder says how far it may stray.
            if let bound = entry["bound"] as? Int {
                let originalBytes = try (1...original.count).flatMap { try original.frame($0) }
                let fromOriginal = CodecCorpusTests.largestDifference(bytes, originalBytes, bitsAllocated: compressed.description.bitsAllocated)
                #expect(fromOriginal <= bound, "\(way): \(fromOriginal) from the original, bound \(bound)")
            }
            checked.append("\(way) (\(compressed.transferSyntax.uid), \(compressed.count) frame\(compressed.count == 1 ? "" : "s"))")
        }
        print("codec variants: \(checked.joined(separator: ", "))")
        #expect(checked.count == 12)
    }

    /// Peak signal-to-noise ratio in dB of two runs of little-endian samples (infinity when equal).
    static func psnr(_ a: [UInt8], _ b: [UInt8], bitsAllocated: Int, bitsStored: Int) -> Double {
        let width = bitsAllocated / 8
        var squares = 0.0, count = 0
        for index in stride(from: 0, to: min(a.count, b.count) - width + 1, by: width) {
            var x = 0, y = 0
            for byte in 0..<width {
                x |= Int(a[index + byte]) << (8 * byte)
                y |= Int(b[index + byte]) << (8 * byte)
            }
            squares += Double((x - y) * (x - y))
            count += 1
        }
        guard squares > 0, count > 0 else { return .infinity }
        let peak = Double((1 << bitsStored) - 1)
        return 10 * log10(peak * peak / (squares / Double(count)))
    }
}
