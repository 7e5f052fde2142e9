import DICOM
import Foundation
import TestSupport
import Testing
@testable import Web

/// Frames and pictures: RLE decoded to exactly the native pixels pydicom's corpus holds
/// for the same images, and PNGs that Pillow reads as what pydicom and numpy compute.
@Suite struct ImagingTests {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/compare_render.py").path

    static func corpusFile(_ name: String) throws -> String { "\(try PydicomData.directory())/test_files/\(name)" }

    static let pixelsHelper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/native_pixels.py").path

    @Test(arguments: ["MR_small_RLE.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_32bit_2frame.dcm"])
    func rleDecodesToWhatPydicomDecodes(name: String) async throws {
        let path = try Self.corpusFile(name)
        let compressed = try Frames(path: path)
        #expect(compressed.isEncapsulated)
        for number in 1...compressed.count {
            let decoded = try compressed.nativeFrame(number).bytes
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("pixels-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = try await Subprocess.run("python3", [Self.pixelsHelper, path, "\(number)", out])
            #expect(run.status == 0, "\(run.errors)")
            #expect(decoded == Array(try Data(contentsOf: URL(fileURLWithPath: out))), "\(name) frame \(number)")
        }
    }

    @Test func rleDecodesToTheSameImageStoredNative() throws {
        let compressed = try Frames(path: try Self.corpusFile("MR_small_RLE.dcm"))
        let plain = try Frames(path: try Self.corpusFile("MR_small.dcm"))
        #expect(try compressed.nativeFrame(1).bytes == (try plain.frame(1)))
    }

    /// Big Endian frames are given little endian (PS3.18 8.7.3.3.2): the same bytes as the
    /// same image stored little endian — 16-bit and 32-bit, loaded or left in the file.
    @Test(arguments: [("MR_small_bigendian.dcm", "MR_small.dcm"), ("rtdose_expb_1frame.dcm", "rtdose_1frame.dcm"),
                      ("rtdose_expb.dcm", "rtdose.dcm"), ("SC_rgb_small_odd_big_endian.dcm", "SC_rgb_small_odd.dcm")])
    func bigEndianFramesAreTheLittleEndianFrames(bigEndian: String, littleEndian: String) throws {
        let big = try Frames(path: try Self.corpusFile(bigEndian)), little = try Frames(path: try Self.corpusFile(littleEndian))
        #expect(big.transferSyntax.isBigEndian && big.count == little.count)
        for number in 1...big.count { #expect(try big.frame(number) == (try little.frame(number)), "\(bigEndian) frame \(number)") }
        // And read whole into memory, as a small value is.
        let loaded = try DICOMFile(path: try Self.corpusFile(bigEndian)).dataSet[.pixelData]?.bytes
        #expect(loaded == (try DICOMFile(path: try Self.corpusFile(littleEndian)).dataSet[.pixelData]?.bytes))
    }

    /// YBR_FULL_422 keeps two samples a pixel (PS3.3 C.7.6.3.1.2): its frame is that long.
    @Test func anUncompressedYBRFull422FrameIsTwoSamplesAPixel() throws {
        let frames = try Frames(path: try Self.corpusFile("SC_ybr_full_422_uncompressed.dcm"))
        #expect(frames.description.photometric == "YBR_FULL_422")
        #expect(try frames.frame(1).count == frames.description.rows * frames.description.columns * 2)
    }

    /// A baseline JPEG of an RGB image (no colour transform) passed through for the screen is
    /// marked so (Adobe APP14, transform 0): libjpeg — Pillow's, and the browsers' — then draws
    /// the colours pydicom reads, not magenta; one already marked, or YCbCr, is left as it is.
    @Test(arguments: ["SC_jpeg_no_color_transform.dcm", "SC_jpeg_no_color_transform_2.dcm", "SC_rgb_jpeg_app14_dcmd.dcm"])
    func anRGBJPEGPassedThroughIsDrawnInItsColours(name: String) async throws {
        let path = try Self.corpusFile(name)
        let frames = try Frames(path: path)
        #expect(frames.description.photometric == "RGB")
        let stored = try frames.frame(1)
        let jpeg = FileManager.default.temporaryDirectory.appendingPathComponent("rgb-\(UUID()).jpg").path
        defer { try? FileManager.default.removeItem(atPath: jpeg) }
        try Data(JPEGColorMarker.markedRGB(stored)).write(to: URL(fileURLWithPath: jpeg))
        let run = try await Subprocess.run("python3", [Self.helper, jpeg, path, "1"])
        let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
        #expect((result["maxDifference"] as? Double ?? 99) <= 1, "\(name): \(result)")
        if stored.count > 20 && stored[2...3] == [0xFF, 0xEE] { #expect(JPEGColorMarker.markedRGB(stored) == stored, "already marked: unchanged") }
    }

    @Test func theLinearWindowOfPS3_3() {
        // C.11.2.1.2.1 with center 40 and width 400 (a soft tissue window).
        let window = Window(center: 40, width: 400)
        #expect(Windowing.linear(-161, window) == 0)
        #expect(Windowing.linear(240, window) == 255)
        #expect(Windowing.linear(39.5, window) == 127)
        #expect(Windowing.linear(1000, window) == 255)
    }

    @Test(arguments: [("CT_small.dcm", nil as (Double, Double)?), ("CT_small.dcm", (40.0, 400.0)), ("MR_small.dcm", nil),
                      ("SC_rgb_rle.dcm", nil), ("MR_small_RLE.dcm", nil), ("SC_rgb_rle_16bit.dcm", nil),
                      ("examples_palette.dcm", nil), ("MR_small_bigendian.dcm", nil), ("rtdose_expb_1frame.dcm", nil),
                      ("SC_rgb_small_odd_big_endian.dcm", nil), ("SC_ybr_full_422_uncompressed.dcm", nil),
                      // Every compressed family, pydicom decoding through its plugins.
                      ("JPEG2000.dcm", nil), ("MR_small_jp2klossless.dcm", (1000.0, 2000.0)), ("MR_small_jpeg_ls_lossless.dcm", nil),
                      ("SC_rgb_jls_lossy_line.dcm", nil), ("SC_rgb_jpeg_gdcm.dcm", nil), ("JPGExtended.dcm", nil), ("SC_rgb_dcmtk_+eb+cr.dcm", nil),
                      ("examples_ybr_color.dcm", nil), ("J2K_pixelrep_mismatch.dcm", nil)])
    func picturesMatchPydicomAndNumpy(name: String, window: (Double, Double)?) async throws {
        let path = try Self.corpusFile(name)
        let frames = try Frames(path: path)
        let native = try frames.nativeFrame(1)
        let picture = try Windowing.picture(native.bytes, description: native.description, window: window.map { Window(center: $0.0, width: $0.1) })
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID()).png").path
        defer { try? FileManager.default.removeItem(atPath: png) }
        try Data(try PNGEncoder.encode(picture)).write(to: URL(fileURLWithPath: png))
        let run = try await Subprocess.run("python3", [Self.helper, png, path, "1"] + (window.map { ["\($0.0)", "\($0.1)"] } ?? []))
        let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
        #expect(result["size"] as? [Int] == [frames.description.columns, frames.description.rows])
        #expect(result["mode"] as? String == (picture.isColor ? "RGB" : "L"))
        // Rounding may differ by one level; a lossy frame's decoders by one more.
        let lossy = CodecCorpusTests.lossy.contains(frames.transferSyntax.uid)
        #expect((result["maxDifference"] as? Double ?? 99) <= (lossy ? 2 : 1), "\(name): \(result)")
    }

    static let compareHelper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/compare_images.py").path

    @Test(arguments: ["CT_small.dcm", "MR_small.dcm", "SC_rgb_rle.dcm"])
    func jpegPicturesAreTheSamePictures(name: String) async throws {
        let frames = try Frames(path: try Self.corpusFile(name))
        let native = try frames.nativeFrame(1)
        let picture = try Windowing.picture(native.bytes, description: native.description, window: nil)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jpeg-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(try PNGEncoder.encode(picture)).write(to: URL(fileURLWithPath: "\(directory)/picture.png"))
        try Data(JPEGEncoder.encode(picture)).write(to: URL(fileURLWithPath: "\(directory)/picture.jpg"))
        let run = try await Subprocess.run("python3", [Self.compareHelper, "\(directory)/picture.jpg", "\(directory)/picture.png"])
        let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
        #expect(result["format"] as? String == "JPEG")
        #expect(result["modes"] as? [String] == [picture.isColor ? "RGB" : "L", picture.isColor ? "RGB" : "L"])
        #expect((result["sizes"] as? [[Int]])?.first == [picture.width, picture.height])
        // Quality 90 of a medical image: well above 35 dB from the lossless picture.
        #expect((result["psnr"] as? Double ?? 0) > 35, "\(name): \(result)")
    }

    @Test func imagesNotDrawnHereSaySo() throws {
        let jpeg2000 = try Frames(path: try Self.corpusFile("JPEG2000.dcm"))
        #expect(jpeg2000.isEncapsulated)
        #expect(FrameNegotiation.mediaType(of: jpeg2000.transferSyntax) == "image/jp2")
        #expect(throws: ImagingError.self) { try PixelDescription(DataSet()) }
    }
}
