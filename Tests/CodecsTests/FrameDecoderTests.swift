import Codecs
import Testing

/// What the codec layer does with frames that are not what they claim: a clear error, no
/// crash, and no allocation beyond the bound whatever the attributes say.
@Suite struct FrameDecoderTests {
    static let mono = FrameLayout(rows: 64, columns: 64, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12, isSigned: false,
                                  photometric: "MONOCHROME2")

    @Test(arguments: ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90",
                      "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.5"])
    func garbageIsAnErrorThatSaysWhy(syntax: String) {
        for bitstream in [[UInt8](), [UInt8](repeating: 0xAB, count: 300), [0xFF, 0xD8, 0xFF, 0xC0, 0x00]] {
            #expect(throws: CodecError.self, "\(syntax), \(bitstream.count) bytes") {
                _ = try FrameDecoder.decode(bitstream, transferSyntaxUID: syntax, layout: Self.mono)
            }
        }
    }

    @Test func aFrameTooLargeToDecodeIsRefusedBeforeAnythingIsAllocated() throws {
        var huge = Self.mono
        (huge.rows, huge.columns, huge.samplesPerPixel) = (65535, 65535, 3)
        let error = #expect(throws: CodecError.self) {
            _ = try FrameDecoder.decode([0xFF, 0xD8], transferSyntaxUID: "1.2.840.10008.1.2.4.50", layout: huge)
        }
        #expect(error?.description.contains("more than the \(FrameDecoder.maximumFrameBytes) decoded here") == true)
    }

    @Test func syntaxesNotDecodedAreSaidToBe() {
        #expect(!FrameDecoder.decodes("1.2.840.10008.1.2.4.100")) // MPEG-2
        #expect(FrameDecoder.decodes("1.2.840.10008.1.2.4.203"))
        #expect(throws: CodecError.self) { _ = try FrameDecoder.decode([1], transferSyntaxUID: "1.2.840.10008.1.2.4.100", layout: Self.mono) }
    }
}
