import CZlib

/// PNG (ISO/IEC 15948) of an 8-bit gray or RGB picture: IHDR, one zlib-compressed IDAT
/// of unfiltered rows, IEND.
enum PNGEncoder {
    static func encode(_ picture: Picture) throws(ImagingError) -> [UInt8] {
        let channels = picture.isColor ? 3 : 1
        let stride = picture.width * channels
        var raw = [UInt8]()
        raw.reserveCapacity((stride + 1) * picture.height)
        for row in 0..<picture.height {
            raw.append(0) // filter type None
            raw += picture.pixels[row * stride..<(row + 1) * stride]
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 6)
        guard status == Z_OK else { throw ImagingError("zlib could not compress the picture (\(status))") }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(picture.width))
        header += bigEndian(UInt32(picture.height))
        header += [8, picture.isColor ? 2 : 0, 0, 0, 0] // bit depth, color type, compression, filter, interlace
        chunk("IHDR", header, into: &png)
        chunk("IDAT", Array(compressed.prefix(Int(compressedLength))), into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    private static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        let typed = Array(type.utf8) + data
        png += bigEndian(UInt32(data.count))
        png += typed
        png += bigEndian(UInt32(crc32(0, typed, uInt(typed.count))))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
