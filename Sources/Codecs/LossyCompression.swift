/// Whether a compressed frame lost information, from its bitstream's own header, and the
/// method code Lossy Image Compression Method (0028,2114) names it by (PS3.3 C.7.6.1.1.5.1).
/// A copy decoded for a peer keeps saying it was lossy compressed: once Lossy Image
/// Compression (0028,2110) is 01 it is never reset, and a lossy copy never passes as original.
public enum LossyCompression {
    /// The method code when `bitstream` in `transferSyntaxUID` was lossy compressed; nil when
    /// it is lossless (or the syntax is not compressed).
    public static func method(of bitstream: [UInt8], transferSyntaxUID: String) -> String? {
        switch transferSyntaxUID {
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51": return "ISO_10918_1" // DCT: always lossy
        case "1.2.840.10008.1.2.4.81": return nearLossless(bitstream) ? "ISO_14495_1" : nil
        case "1.2.840.10008.1.2.4.91": return irreversible(bitstream) ? "ISO_15444_1" : nil
        case "1.2.840.10008.1.2.4.203": return irreversible(bitstream) ? "ISO_15444_15" : nil
        default: return nil // the lossless-only syntaxes, RLE, native
        }
    }

    /// JPEG-LS: the first scan's NEAR (ISO 14495-1 C.2.3: SOS is Ls, Ns, Ns x (Ci, Tmi), NEAR).
    static func nearLossless(_ bytes: [UInt8]) -> Bool {
        guard let sos = segment(0xDA, in: bytes, start: 2, until: nil), sos + 4 < bytes.count else { return true }
        let components = Int(bytes[sos + 4])
        let near = sos + 5 + components * 2
        return near >= bytes.count || bytes[near] != 0
    }

    /// JPEG 2000: the COD segment's wavelet (ISO 15444-1 A.6.1: Scod, progression, layers (2),
    /// MCT, levels, code-block width and height, style, then 0 for the irreversible 9-7).
    static func irreversible(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > 2, bytes[0] == 0xFF, bytes[1] == 0x4F, let cod = segment(0x52, in: bytes, start: 2, until: 0x90),
              cod + 13 < bytes.count else { return true }
        return bytes[cod + 13] == 0
    }

    /// Where the marker segment `marker` starts (at its 0xFF), walking the segments of a
    /// header from `start`, stopping at `until`. Unknown as lossless when not found: the
    /// caller then takes it for lossy, the safe side.
    private static func segment(_ marker: UInt8, in bytes: [UInt8], start: Int, until stop: UInt8?) -> Int? {
        var at = start
        while at + 3 < bytes.count {
            guard bytes[at] == 0xFF else { return nil }
            let code = bytes[at + 1]
            if code == marker { return at }
            if code == stop || code == 0xD9 { return nil }
            if code == 0xFF { at += 1; continue } // fill byte
            at += 2 + (Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]))
        }
        return nil
    }
}
