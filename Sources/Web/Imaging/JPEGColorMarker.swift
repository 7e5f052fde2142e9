/// A baseline JPEG passed through for the screen whose data set says RGB — no colour
/// transform was applied (PS3.5 8.2.1, PS3.3 C.7.6.3.1.2) — but whose stream does not say
/// so: decoders (libjpeg, and so browsers) then take its three components for YCbCr and draw
/// it magenta. The stream given for display gets an Adobe APP14 segment with transform 0
/// after its SOI (and loses a JFIF APP0, which would mean YCbCr); the stored bytes are
/// untouched.
enum JPEGColorMarker {
    /// `jpeg` marked as RGB, or as it is when it already says so (or is not a JPEG stream).
    static func markedRGB(_ jpeg: [UInt8]) -> [UInt8] {
        guard jpeg.count > 4, jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { return jpeg }
        var segments: [(marker: UInt8, range: Range<Int>)] = []
        var index = 2
        // The segments before the frame header: APPn and the like, each with a 2-byte length.
        while index + 4 <= jpeg.count, jpeg[index] == 0xFF, jpeg[index + 1] != 0xDA {
            let marker = jpeg[index + 1]
            let length = Int(jpeg[index + 2]) << 8 | Int(jpeg[index + 3])
            guard length >= 2, index + 2 + length <= jpeg.count else { return jpeg }
            segments.append((marker, index..<(index + 2 + length)))
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC { break } // SOFn: the frame begins
            index += 2 + length
        }
        let adobe = Array("Adobe".utf8)
        if let app14 = segments.first(where: { $0.marker == 0xEE && Array(jpeg[($0.range.lowerBound + 4)..<min($0.range.upperBound, $0.range.lowerBound + 9)]) == adobe }) {
            // Transform (its last byte) 0 already says RGB.
            if jpeg[app14.range.upperBound - 1] == 0 { return jpeg }
            var marked = jpeg
            marked[app14.range.upperBound - 1] = 0
            return marked
        }
        let jfif = Array("JFIF".utf8)
        let drop = segments.filter { $0.marker == 0xE0 && Array(jpeg[($0.range.lowerBound + 4)..<min($0.range.upperBound, $0.range.lowerBound + 8)]) == jfif }.map(\.range)
        // APP14: "Adobe", version 100, flags0 0, flags1 0, transform 0 (no colour transform).
        let segment: [UInt8] = [0xFF, 0xEE, 0x00, 0x0E] + adobe + [0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]
        var marked = [0xFF, 0xD8] + segment
        var position = 2
        for range in drop {
            marked += jpeg[position..<range.lowerBound]
            position = range.upperBound
        }
        marked += jpeg[position...]
        return marked
    }
}
