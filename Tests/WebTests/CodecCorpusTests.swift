import DICOM
import Foundation
import TestSupport
import Testing
@testable import Web

/// Every compressed image among pydicom's test files, decoded frame by frame through the
/// codec layer and compared with pydicom 3 and its plugins decoding the same file: lossless
/// syntaxes sample for sample, lossy ones within one level.
@Suite struct CodecCorpusTests {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/reference_frames.py").path

    /// JPEG baseline and extended, JPEG-LS near-lossless, JPEG 2000 (may be lossy), HTJ2K (may be lossy).
    static let lossy: Set<String> = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
                                     "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203"]

    @Test func pydicomsCompressedImagesDecodeAsPydicomDecodesThem() async throws {
        let directory = try PydicomData.directory() + "/test_files"
        var compared = 0, frames = 0, bothRefused: [String] = [], references: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where name.hasSuffix(".dcm") {
            let path = directory + "/" + name
            guard let file = try? Frames(path: path), file.isEncapsulated else { continue }
            #expect(file.decodes, "\(name): \(file.transferSyntax.uid) is not decoded")
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("reference-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = try await Subprocess.run("python3", [Self.helper, path, out])
            let reference = (try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any]
            let decoded = Result { try (1...file.count).map { try file.nativeFrame($0) } }
            guard run.status == 0, let reference, let expected = FileManager.default.contents(atPath: out) else {
                // A file pydicom cannot decode either must be refused with a reason, not drawn.
                if case .success = decoded { Issue.record("\(name): decoded here, but pydicom cannot: \(run.errors.suffix(300))") }
                bothRefused.append(name)
                continue
            }
            let native: [(bytes: [UInt8], description: PixelDescription)]
            switch decoded {
            case .success(let value): native = value
            case .failure(let error):
                Issue.record("\(name) (\(file.transferSyntax.uid)): \(error)")
                continue
            }
            let bytes = native.flatMap(\.bytes)
            #expect(native[0].description.photometric == reference["photometric"] as? String, "\(name)")
            guard bytes.count == expected.count else {
                Issue.record("\(name): \(bytes.count) bytes decoded, pydicom has \(expected.count)")
                continue
            }
            let difference = Self.largestDifference(bytes, Array(expected), bitsAllocated: file.description.bitsAllocated)
            let allowed = Self.lossy.contains(file.transferSyntax.uid) ? 1 : 0
            #expect(difference <= allowed, "\(name) (\(file.transferSyntax.uid)): samples differ by up to \(difference)")
            compared += 1
            frames += file.count
            references[reference["reference"] as? String ?? "?", default: 0] += 1
        }
        print("codec corpus: \(compared) files, \(frames) frames decoded as the reference does (\(references)); refused by both: \(bothRefused)")
        #expect(compared >= 30)
    }

    /// The largest difference between two runs of little-endian samples.
    static func largestDifference(_ a: [UInt8], _ b: [UInt8], bitsAllocated: Int) -> Int {
        let width = bitsAllocated / 8
        var largest = 0
        for index in stride(from: 0, to: a.count - width + 1, by: width) {
            var x = 0, y = 0
            for byte in 0..<width {
                x |= Int(a[index + byte]) << (8 * byte)
                y |= Int(b[index + byte]) << (8 * byte)
            }
            largest = max(largest, abs(x - y))
        }
        return largest
    }
}
