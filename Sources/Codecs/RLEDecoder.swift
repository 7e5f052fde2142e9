/// RLE Lossless (PS3.5 annex G): a frame of up to 15 byte segments, each PackBits-coded,
/// decoded to the native little-endian, sample-interleaved layout.
enum RLEDecoder {
    static func decode(_ frame: [UInt8], layout: FrameLayout) throws(CodecError) -> [UInt8] {
        guard frame.count >= 64 else { throw CodecError("an RLE frame is shorter than its 64-byte header") }
        func uint32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(frame[at + $1]) << (8 * $1) } }
        let segmentCount = uint32(0)
        let bytesPerSample = layout.bitsAllocated / 8
        let samples = layout.samplesPerPixel
        let pixels = layout.rows * layout.columns
        // PS3.5 G.2: one segment per byte of each sample, most significant byte first.
        guard segmentCount == bytesPerSample * samples, segmentCount <= 15 else {
            throw CodecError("an RLE frame has \(segmentCount) segments where \(bytesPerSample * samples) are needed")
        }
        let offsets = (0..<segmentCount).map { uint32(4 + 4 * $0) } + [frame.count]
        var output = [UInt8](repeating: 0, count: pixels * samples * bytesPerSample)
        for segment in 0..<segmentCount {
            let start = offsets[segment]
            let end = min(offsets[segment + 1], frame.count)
            guard start >= 64, start <= end else { throw CodecError("an RLE segment offset is out of the frame") }
            let decoded = try unpack(frame[start..<end], count: pixels)
            let sample = segment / bytesPerSample
            let byte = bytesPerSample - 1 - segment % bytesPerSample // little endian out
            for pixel in 0..<pixels {
                output[(pixel * samples + sample) * bytesPerSample + byte] = decoded[pixel]
            }
        }
        return output
    }

    /// PS3.5 G.3.1: n ≥ 0 copies the next n + 1 bytes, -127…-1 repeats the next byte
    /// 1 - n times, -128 does nothing.
    static func unpack(_ bytes: ArraySlice<UInt8>, count: Int) throws(CodecError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(count)
        var index = bytes.startIndex
        while output.count < count, index < bytes.endIndex {
            let header = Int(Int8(bitPattern: bytes[index]))
            index += 1
            if header >= 0 {
                let end = min(index + header + 1, bytes.endIndex)
                output += bytes[index..<end]
                index = end
            } else if header != -128 {
                guard index < bytes.endIndex else { break }
                output += repeatElement(bytes[index], count: 1 - header)
                index += 1
            }
        }
        guard output.count >= count else { throw CodecError("an RLE segment decodes to \(output.count) bytes, not \(count)") }
        return Array(output.prefix(count))
    }
}
