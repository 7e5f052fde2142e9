import Codecs
import Testing

/// Whether a frame was lossy compressed is read from its own header (a copy decoded for a
/// peer must keep saying so, PS3.3 C.7.6.1.1.5): JPEG-LS by its scan's NEAR, JPEG 2000 by its
/// COD segment's wavelet; DCT JPEG always; lossless-only syntaxes never.
@Suite struct LossyCompressionTests {
    /// SOI, an SOF55 of one component, then SOS with `near`.
    static func jpegLS(near: UInt8) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 0x10, 0x00, 0x40, 0x00, 0x40, 0x01, 0x01, 0x11, 0x00,
         0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, near, 0x00, 0x00, 0x12, 0x34]
    }

    /// SOC, a short SIZ-like segment, then COD with `wavelet` (0: 9-7 irreversible, 1: 5-3 reversible).
    static func jpeg2000(wavelet: UInt8) -> [UInt8] {
        [0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x04, 0x00, 0x00,
         0xFF, 0x52, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x04, 0x04, 0x00, wavelet, 0xFF, 0x90]
    }

    @Test func jpegLSIsLossyWhenItsScanAllowsAnError() {
        #expect(LossyCompression.method(of: Self.jpegLS(near: 0), transferSyntaxUID: "1.2.840.10008.1.2.4.81") == nil)
        #expect(LossyCompression.method(of: Self.jpegLS(near: 3), transferSyntaxUID: "1.2.840.10008.1.2.4.81") == "ISO_14495_1")
        #expect(LossyCompression.method(of: Self.jpegLS(near: 3), transferSyntaxUID: "1.2.840.10008.1.2.4.80") == nil) // lossless-only syntax
    }

    @Test func jpeg2000IsLossyWithTheIrreversibleWavelet() {
        #expect(LossyCompression.method(of: Self.jpeg2000(wavelet: 1), transferSyntaxUID: "1.2.840.10008.1.2.4.91") == nil)
        #expect(LossyCompression.method(of: Self.jpeg2000(wavelet: 0), transferSyntaxUID: "1.2.840.10008.1.2.4.91") == "ISO_15444_1")
        #expect(LossyCompression.method(of: Self.jpeg2000(wavelet: 0), transferSyntaxUID: "1.2.840.10008.1.2.4.203") == "ISO_15444_15")
        #expect(LossyCompression.method(of: Self.jpeg2000(wavelet: 0), transferSyntaxUID: "1.2.840.10008.1.2.4.90") == nil)
    }

    @Test func aHeaderThatCannotBeReadCountsAsLossy() {
        // The safe side: a copy wrongly marked lossy misleads no one into a diagnosis on lost detail.
        #expect(LossyCompression.method(of: [0x00, 0x01], transferSyntaxUID: "1.2.840.10008.1.2.4.91") == "ISO_15444_1")
        #expect(LossyCompression.method(of: [0xFF, 0xD8], transferSyntaxUID: "1.2.840.10008.1.2.4.81") == "ISO_14495_1")
        #expect(LossyCompression.method(of: [], transferSyntaxUID: "1.2.840.10008.1.2.4.50") == "ISO_10918_1")
        #expect(LossyCompression.method(of: [], transferSyntaxUID: "1.2.840.10008.1.2.5") == nil)
    }
}
