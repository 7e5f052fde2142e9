import CCodecs
import DICOM

/// Decodes one frame of an encapsulated transfer syntax to native samples, through the
/// field's libraries: libjpeg-turbo for 8-bit lossy JPEG, DCMTK's IJG decoders for the rest
/// of JPEG (PS3.5 A.4.1: extended 12-bit, lossless), CharLS for JPEG-LS (A.4.3), OpenJPEG for JPEG 2000 and HTJ2K (A.4.4, A.4.11);
/// RLE (A.4.2) in Swift. Memory: the bitstream, the decoded frame and the library's own
/// working set, one frame at a time.
public enum FrameDecoder {
    /// The largest frame decoded (1 GiB: a 14,000 x 17,000 RGB film scan is 714 MB); the
    /// libraries' output is sized from the attributes, checked against the bitstream's header.
    public static let maximumFrameBytes = 1 << 30

    /// Whether `decode` reads the syntax.
    public static func decodes(_ transferSyntaxUID: String) -> Bool { Family(transferSyntaxUID) != nil }

    /// Decodes within `budget`: a frame that may be decoded at all takes three times its bytes
    /// from it for the decode's length — the output, and about as much again for the library's
    /// own buffers (OpenJPEG decodes to 32-bit planes).
    public static func decode(_ bitstream: [UInt8], transferSyntaxUID: String, layout: FrameLayout,
                              budget: DecodeBudget = .shared) throws(CodecError) -> DecodedFrame {
        guard let family = Family(transferSyntaxUID) else { throw CodecError("frames in transfer syntax \(transferSyntaxUID) are not decoded here") }
        // RLE takes up to 32 bits a sample (PS3.5 G.2); the libraries 8 or 16.
        guard (family == .rle ? [8, 16, 32] : [8, 16]).contains(layout.bitsAllocated), [1, 3].contains(layout.samplesPerPixel),
              layout.rows > 0, layout.columns > 0 else {
            throw CodecError("\(layout.bitsAllocated)-bit frames with \(layout.samplesPerPixel) samples are not decoded here")
        }
        // A bitstream of a few bytes can claim 65535 x 65535 pixels: memory stays bounded.
        guard layout.frameLength <= maximumFrameBytes else {
            throw CodecError("a \(layout.columns)x\(layout.rows) frame of \(layout.frameLength) bytes is more than the \(maximumFrameBytes) decoded here")
        }
        return try budget.holding(layout.frameLength * 3) { () throws(CodecError) in
            try decodeFrame(bitstream, family: family, transferSyntaxUID: transferSyntaxUID, layout: layout)
        }
    }

    /// A frame whose layout `decode` has checked, through its family's library.
    static func decodeFrame(_ bitstream: [UInt8], family: Family, transferSyntaxUID: String, layout: FrameLayout) throws(CodecError) -> DecodedFrame {
        switch family {
        case .rle:
            return DecodedFrame(bytes: try RLEDecoder.decode(bitstream, layout: layout), photometric: layout.photometric)
        case .jpeg:
            let precision = try JPEGHeader.precision(of: bitstream)
            // 8-bit lossy JPEG, the commonest, through libjpeg-turbo; 12-bit, 16-bit and lossless through DCMTK's IJG.
            if precision == 8 && ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"].contains(transferSyntaxUID) {
                let isRGB = layout.photometric == "RGB"
                let decoded = try library("JPEG", bitstream, outputBytes: layout.rows * layout.columns * layout.samplesPerPixel) {
                    lb_jpeg8_decode($0, $1, isRGB ? 1 : 0, $2, $3, $4, $5, $6)
                }
                try check(decoded.info, against: layout)
                return DecodedFrame(bytes: try widen(decoded, to: layout), photometric: decoded.info.convertedToRGB != 0 ? "RGB" : layout.photometric)
            }
            let isYBR = layout.photometric.hasPrefix("YBR")
            let decoded = try library("JPEG", bitstream, outputBytes: layout.rows * layout.columns * layout.samplesPerPixel * (precision > 8 ? 2 : 1)) {
                lb_jpeg_decode($0, $1, Int32(precision), isYBR ? 1 : 0, layout.isSigned ? 1 : 0, $2, $3, $4, $5, $6)
            }
            let photometric = decoded.info.convertedToRGB != 0 ? "RGB" : layout.photometric
            return DecodedFrame(bytes: try widen(decoded, to: layout), photometric: photometric)
        case .jpegLS, .jpeg2000:
            let (name, run) = family == .jpegLS ? ("JPEG-LS", lb_jpegls_decode) : ("JPEG 2000", lb_j2k_decode)
            let header = try library(name, bitstream, outputBytes: nil) { run($0, $1, $2, $3, $4, $5, $6) }
            try check(header.info, against: layout)
            var decoded = try library(name, bitstream,
                                      outputBytes: Int(header.info.width * header.info.height * header.info.components * header.info.bytesPerSample)) {
                run($0, $1, $2, $3, $4, $5, $6)
            }
            // A codestream that says unsigned in a signed image (Pixel Representation 1) holds
            // two's complement values of its precision: they are sign-extended, as pydicom does.
            if layout.isSigned && header.info.isSigned == 0 && header.info.bytesPerSample == 2 && header.info.precision < 16 {
                decoded.bytes = Self.signExtended(decoded.bytes, from: Int(header.info.precision))
            }
            // OpenJPEG undoes the multiple component transform of YBR_RCT and YBR_ICT (PS3.5 8.2.4).
            let photometric = ["YBR_RCT", "YBR_ICT"].contains(layout.photometric) ? "RGB" : layout.photometric
            return DecodedFrame(bytes: try widen(decoded, to: layout), photometric: photometric)
        }
    }

    enum Family {
        case jpeg, jpegLS, jpeg2000, rle

        init?(_ uid: String) {
            switch uid {
            case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70": self = .jpeg
            case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": self = .jpegLS
            case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                 "1.2.840.10008.1.2.4.203": self = .jpeg2000
            case "1.2.840.10008.1.2.5": self = .rle
            default: return nil
            }
        }
    }

    typealias Entry = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<lb_frame_info>?,
                       UnsafeMutablePointer<CChar>?, Int) -> Int32

    /// Calls a library's entry point with the bitstream and an output of `outputBytes` (nil:
    /// the header only), turning its message into a `CodecError`.
    static func library(_ name: String, _ bitstream: [UInt8], outputBytes: Int?, _ call: Entry) throws(CodecError) -> (bytes: [UInt8], info: lb_frame_info) {
        var info = lb_frame_info()
        var message = [CChar](repeating: 0, count: 512)
        var output = [UInt8](repeating: 0, count: outputBytes ?? 0)
        let status = bitstream.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                message.withUnsafeMutableBufferPointer { text in
                    call(input.baseAddress, input.count, outputBytes == nil ? nil : out.baseAddress, out.count, &info, text.baseAddress, text.count)
                }
            }
        }
        guard status == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CodecError("\(name) frame cannot be decoded: \(text.isEmpty ? "the library gave no reason" : text)")
        }
        return (output, info)
    }

    /// The bitstream's own header must describe the image the attributes describe.
    static func check(_ info: lb_frame_info, against layout: FrameLayout) throws(CodecError) {
        guard Int(info.width) == layout.columns, Int(info.height) == layout.rows, Int(info.components) == layout.samplesPerPixel else {
            throw CodecError("the bitstream holds a \(info.width)x\(info.height) image of \(info.components) components, "
                + "but the attributes say \(layout.columns)x\(layout.rows) of \(layout.samplesPerPixel)")
        }
        guard Int(info.precision) <= layout.bitsAllocated else {
            throw CodecError("the bitstream's samples are \(info.precision) bits, more than Bits Allocated \(layout.bitsAllocated)")
        }
    }

    /// 16-bit little-endian samples whose low `bits` hold a two's complement value, made whole.
    static func signExtended(_ bytes: [UInt8], from bits: Int) -> [UInt8] {
        var out = bytes
        let shift = 16 - bits
        for index in stride(from: 0, to: out.count - 1, by: 2) {
            let value = Int16(bitPattern: UInt16(out[index]) | UInt16(out[index + 1]) << 8)
            let extended = UInt16(bitPattern: (value << shift) >> shift)
            out[index] = UInt8(extended & 0xFF)
            out[index + 1] = UInt8(extended >> 8)
        }
        return out
    }

    /// Samples `info.bytesPerSample` wide made `bitsAllocated` wide (an 8-bit JPEG in a
    /// 16-bit image), sign-extended when the image is signed.
    static func widen(_ decoded: (bytes: [UInt8], info: lb_frame_info), to layout: FrameLayout) throws(CodecError) -> [UInt8] {
        let from = Int(decoded.info.bytesPerSample), to = layout.bitsAllocated / 8
        if from == to { return Array(decoded.bytes.prefix(layout.frameLength)) }
        guard from == 1, to == 2 else { throw CodecError("the decoder gave \(from * 8)-bit samples for a \(layout.bitsAllocated)-bit image") }
        var wide = [UInt8](repeating: 0, count: decoded.bytes.count * 2)
        for (index, byte) in decoded.bytes.enumerated() {
            wide[index * 2] = byte
            wide[index * 2 + 1] = layout.isSigned && byte >= 0x80 ? 0xFF : 0
        }
        return wide
    }
}
