import Foundation

/// Baseline JPEG (ITU-T T.81) of an 8-bit gray or RGB picture, for rendered frames asked for
/// as image/jpeg: JFIF, YCbCr without subsampling, the example tables of annex K (the
/// luminance ones for every component), quality 90.
enum JPEGEncoder {
    static func encode(_ picture: Picture, quality: Int = 90) -> [UInt8] {
        let components = picture.isColor ? 3 : 1
        let scale = quality < 50 ? 5000 / quality : 200 - 2 * quality
        let quantizer = luminanceQuantization.map { UInt8(max(1, min(255, ($0 * scale + 50) / 100))) }
        var out: [UInt8] = [0xFF, 0xD8]
        // APP0 JFIF 1.1, no density: says the three components are YCbCr.
        segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0], into: &out)
        segment(0xDB, [0] + zigzag.map { quantizer[$0] }, into: &out)
        var frame: [UInt8] = [8] + bigEndian16(picture.height) + bigEndian16(picture.width) + [UInt8(components)]
        for id in 1...components { frame += [UInt8(id), 0x11, 0] }
        segment(0xC0, frame, into: &out)
        segment(0xC4, [0x00] + dcBits + dcValues, into: &out)
        segment(0xC4, [0x10] + acBits + acValues, into: &out)
        var scan: [UInt8] = [UInt8(components)]
        for id in 1...components { scan += [UInt8(id), 0x00] }
        segment(0xDA, scan + [0, 63, 0], into: &out)

        let planes = planes(of: picture)
        var writer = BitWriter()
        var previousDC = [Int](repeating: 0, count: components)
        let dcCodes = codes(bits: dcBits, values: dcValues), acCodes = codes(bits: acBits, values: acValues)
        for blockY in stride(from: 0, to: picture.height, by: 8) {
            for blockX in stride(from: 0, to: picture.width, by: 8) {
                for component in 0..<components {
                    var block = [Double](repeating: 0, count: 64)
                    for y in 0..<8 {
                        for x in 0..<8 {
                            // Edges repeat the last row and column.
                            let sx = min(blockX + x, picture.width - 1), sy = min(blockY + y, picture.height - 1)
                            block[y * 8 + x] = planes[component][sy * picture.width + sx] - 128
                        }
                    }
                    let coefficients = transform(block)
                    let quantized = zigzag.map { Int((coefficients[$0] / Double(quantizer[$0])).rounded()) }
                    let difference = quantized[0] - previousDC[component]
                    previousDC[component] = quantized[0]
                    let size = magnitude(difference)
                    writer.write(dcCodes[size]!)
                    writer.writeValue(difference, size: size)
                    var run = 0
                    for coefficient in quantized.dropFirst() {
                        if coefficient == 0 {
                            run += 1
                            continue
                        }
                        while run > 15 {
                            writer.write(acCodes[0xF0]!) // ZRL: sixteen zeros
                            run -= 16
                        }
                        let size = magnitude(coefficient)
                        writer.write(acCodes[run << 4 | size]!)
                        writer.writeValue(coefficient, size: size)
                        run = 0
                    }
                    if run > 0 { writer.write(acCodes[0x00]!) } // EOB
                }
            }
        }
        out += writer.finish()
        out += [0xFF, 0xD9]
        return out
    }

    /// Y (and Cb, Cr) as JFIF defines them from RGB.
    private static func planes(of picture: Picture) -> [[Double]] {
        let count = picture.width * picture.height
        guard picture.isColor else { return [picture.pixels.map(Double.init)] }
        var y = [Double](repeating: 0, count: count), cb = y, cr = y
        for index in 0..<count {
            let r = Double(picture.pixels[index * 3]), g = Double(picture.pixels[index * 3 + 1]), b = Double(picture.pixels[index * 3 + 2])
            y[index] = 0.299 * r + 0.587 * g + 0.114 * b
            cb[index] = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
            cr[index] = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
        }
        return [y, cb, cr]
    }

    /// The forward DCT of T.81 A.3.3, separably.
    private static func transform(_ block: [Double]) -> [Double] {
        var rows = [Double](repeating: 0, count: 64), out = rows
        let half = 0.5.squareRoot()
        for y in 0..<8 {
            for u in 0..<8 {
                var sum = 0.0
                for x in 0..<8 { sum += block[y * 8 + x] * cosines[x * 8 + u] }
                rows[y * 8 + u] = sum * (u == 0 ? half : 1) / 2
            }
        }
        for u in 0..<8 {
            for v in 0..<8 {
                var sum = 0.0
                for y in 0..<8 { sum += rows[y * 8 + u] * cosines[y * 8 + v] }
                out[v * 8 + u] = sum * (v == 0 ? half : 1) / 2
            }
        }
        return out
    }

    /// cos((2x + 1)uπ/16) at [x * 8 + u].
    private static let cosines: [Double] = (0..<64).map { (index: Int) -> Double in
        let x = Double(2 * (index / 8) + 1)
        let u = Double(index % 8)
        return cos(x * u * Double.pi / 16)
    }

    private static func magnitude(_ value: Int) -> Int { value == 0 ? 0 : Int.bitWidth - abs(value).leadingZeroBitCount }

    /// Codes from a table's counts per length (T.81 annex C): symbol → (code, length).
    private static func codes(bits: [UInt8], values: [UInt8]) -> [Int: (UInt32, Int)] {
        var table: [Int: (UInt32, Int)] = [:]
        var code: UInt32 = 0, index = 0
        for length in 1...16 {
            for _ in 0..<Int(bits[length - 1]) {
                table[Int(values[index])] = (code, length)
                code += 1
                index += 1
            }
            code <<= 1
        }
        return table
    }

    private struct BitWriter {
        var bytes: [UInt8] = []
        var accumulator: UInt32 = 0
        var count = 0

        mutating func write(_ code: (UInt32, Int)) { write(code.0, length: code.1) }

        /// T.81 F.1.2.1: negative values as their ones' complement in `size` bits.
        mutating func writeValue(_ value: Int, size: Int) {
            guard size > 0 else { return }
            write(UInt32(truncatingIfNeeded: value < 0 ? value - 1 : value) & ((1 << size) - 1), length: size)
        }

        mutating func write(_ bits: UInt32, length: Int) {
            accumulator = accumulator << length | bits
            count += length
            while count >= 8 {
                let byte = UInt8(truncatingIfNeeded: accumulator >> (count - 8))
                bytes.append(byte)
                if byte == 0xFF { bytes.append(0) } // stuffed (T.81 F.1.2.3)
                count -= 8
                accumulator &= (1 << count) - 1
            }
        }

        mutating func finish() -> [UInt8] {
            if count > 0 { write((1 << (8 - count)) - 1, length: 8 - count) } // padded with ones
            return bytes
        }
    }

    private static func segment(_ marker: UInt8, _ body: [UInt8], into out: inout [UInt8]) {
        out += [0xFF, marker] + bigEndian16(body.count + 2) + body
    }

    private static func bigEndian16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    // T.81 annex K: table K.1, and the luminance Huffman tables K.3 and K.5.
    private static let luminanceQuantization = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]
    private static let zigzag = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ]
    private static let dcBits: [UInt8] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    private static let dcValues: [UInt8] = Array(0...11)
    private static let acBits: [UInt8] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
    private static let acValues: [UInt8] = [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
        0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
        0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
        0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
        0xF9, 0xFA,
    ]
}
