/// What a JPEG bitstream's frame header says before any library reads it (ISO 10918-1
/// B.2.2): the sample precision picks the 8-, 12- or 16-bit decoder.
enum JPEGHeader {
    /// The precision (P) of the first SOF marker: FFC0–FFCF but DHT (C4), JPG (C8) and DAC (CC).
    static func precision(of bitstream: [UInt8]) throws(CodecError) -> Int {
        guard bitstream.count >= 4, bitstream[0] == 0xFF, bitstream[1] == 0xD8 else {
            throw CodecError("a JPEG frame that does not start with SOI (FFD8)")
        }
        var index = 2
        while index + 4 < bitstream.count {
            guard bitstream[index] == 0xFF else { throw CodecError("a JPEG frame whose markers are broken at byte \(index)") }
            let marker = bitstream[index + 1]
            if marker == 0xFF { index += 1; continue } // fill byte
            let length = Int(bitstream[index + 2]) << 8 | Int(bitstream[index + 3])
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard index + 4 < bitstream.count else { break }
                return Int(bitstream[index + 4])
            }
            guard length >= 2 else { throw CodecError("a JPEG marker segment of length \(length) at byte \(index)") }
            index += 2 + length
        }
        throw CodecError("a JPEG frame with no frame header (SOF)")
    }
}
