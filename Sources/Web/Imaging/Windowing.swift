/// An 8-bit picture of a frame for the screen: gray (one byte a pixel) or RGB (three).
struct Picture: Equatable {
    var width: Int
    var height: Int
    var isColor: Bool
    var pixels: [UInt8]
}

/// A window (PS3.3 C.11.2.1.2): the stored values from center - width/2 to center + width/2
/// spread over the display's range.
struct Window: Equatable {
    var center: Double
    var width: Double
}

enum Windowing {
    /// Draws a native frame: grayscale through the modality LUT (rescale slope and
    /// intercept, PS3.3 C.11.1) and the window — the one asked for, else the file's, else
    /// the frame's own range —, MONOCHROME1 inverted; color as RGB.
    static func picture(_ frame: [UInt8], description d: PixelDescription, window asked: Window?) throws(ImagingError) -> Picture {
        let count = d.rows * d.columns
        guard frame.count >= d.frameLength else { throw ImagingError("the frame is shorter than its rows and columns") }
        if d.samplesPerPixel == 3 {
            return Picture(width: d.columns, height: d.rows, isColor: true, pixels: try color(frame, description: d, count: count))
        }
        if let palette = d.palette {
            return Picture(width: d.columns, height: d.rows, isColor: true, pixels: colored(frame, description: d, palette: palette, count: count))
        }
        guard d.photometric == "MONOCHROME1" || d.photometric == "MONOCHROME2" else {
            throw ImagingError("\(d.photometric) images are not drawn here")
        }
        var values = [Double](repeating: 0, count: count)
        let shift = 32 - d.bitsStored
        for index in 0..<count {
            var raw: UInt32 = 0
            for byte in 0..<d.bytesPerSample { raw |= UInt32(frame[index * d.bytesPerSample + byte]) << (8 * byte) }
            // Only the stored bits count; signed values are two's complement in them (PS3.5 8.1.1).
            let stored = d.isSigned ? Double(Int32(bitPattern: raw << shift) >> shift) : Double((raw << shift) >> shift)
            values[index] = stored * d.rescaleSlope + d.rescaleIntercept
        }
        let window = asked ?? d.windowCenter.flatMap { center in d.windowWidth.map { Window(center: center, width: $0) } }
            ?? range(of: values)
        let invert = d.photometric == "MONOCHROME1"
        let pixels = values.map { value -> UInt8 in
            let level = linear(value, window)
            return invert ? 255 - level : level
        }
        return Picture(width: d.columns, height: d.rows, isColor: false, pixels: pixels)
    }

    /// PALETTE COLOR: each stored value looked up in the red, green and blue tables, values
    /// outside them taking the first or last entry (PS3.3 C.7.6.3.1.5).
    static func colored(_ frame: [UInt8], description d: PixelDescription, palette: PixelDescription.Palette, count: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for index in 0..<count {
            var value = 0
            for byte in 0..<d.bytesPerSample { value |= Int(frame[index * d.bytesPerSample + byte]) << (8 * byte) }
            let entry = max(0, min(palette.red.count - 1, value - palette.firstValue))
            rgb[index * 3] = palette.red[entry]
            rgb[index * 3 + 1] = palette.green[min(entry, palette.green.count - 1)]
            rgb[index * 3 + 2] = palette.blue[min(entry, palette.blue.count - 1)]
        }
        return rgb
    }

    /// PS3.3 C.11.2.1.2.1, the LINEAR function, to 0…255.
    static func linear(_ x: Double, _ window: Window) -> UInt8 {
        let c = window.center, w = max(window.width, 1)
        if x <= c - 0.5 - (w - 1) / 2 { return 0 }
        if x > c - 0.5 + (w - 1) / 2 { return 255 }
        return UInt8(max(0, min(255, (((x - (c - 0.5)) / (w - 1)) + 0.5) * 255)))
    }

    /// A window over the frame's own values, for an image that names none.
    static func range(of values: [Double]) -> Window {
        guard let low = values.min(), let high = values.max() else { return Window(center: 0, width: 1) }
        return Window(center: (low + high) / 2 + 0.5, width: max(high - low + 1, 1))
    }

    /// RGB (or YBR_FULL and YBR_FULL_422, converted, PS3.3 C.7.6.3.1.2), interleaved or by
    /// plane, 8 bits a sample.
    static func color(_ frame: [UInt8], description d: PixelDescription, count: Int) throws(ImagingError) -> [UInt8] {
        guard ["RGB", "YBR_FULL", "YBR_FULL_422"].contains(d.photometric) else { throw ImagingError("\(d.photometric) color is not drawn here") }
        let subsampled = d.photometric == "YBR_FULL_422"
        guard !subsampled || d.bytesPerSample == 1 else { throw ImagingError("\(d.bitsAllocated)-bit YBR_FULL_422 is not drawn here") }
        func sample(_ pixel: Int, _ channel: Int) -> UInt8 {
            // 4:2:2 keeps Y1 Y2 Cb Cr for each pair of pixels in a row (PS3.3 C.7.6.3.1.2).
            if subsampled {
                let pair = (pixel / d.columns) * ((d.columns + 1) / 2) + (pixel % d.columns) / 2
                return frame[pair * 4 + (channel == 0 ? (pixel % d.columns) % 2 : channel + 1)]
            }
            let index = d.planarConfiguration == 1 ? channel * count + pixel : pixel * 3 + channel
            // Wider samples keep their top stored bits.
            if d.bytesPerSample == 1 { return frame[index] }
            var value: UInt32 = 0
            for byte in 0..<d.bytesPerSample { value |= UInt32(frame[index * d.bytesPerSample + byte]) << (8 * byte) }
            return UInt8(truncatingIfNeeded: value >> UInt32(max(0, d.bitsStored - 8)))
        }
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for pixel in 0..<count {
            let (a, b, c) = (Double(sample(pixel, 0)), Double(sample(pixel, 1)), Double(sample(pixel, 2)))
            if d.photometric == "RGB" {
                rgb[pixel * 3] = UInt8(a)
                rgb[pixel * 3 + 1] = UInt8(b)
                rgb[pixel * 3 + 2] = UInt8(c)
            } else {
                func clamp(_ value: Double) -> UInt8 { UInt8(max(0, min(255, value.rounded()))) }
                rgb[pixel * 3] = clamp(a + 1.402 * (c - 128))
                rgb[pixel * 3 + 1] = clamp(a - 0.344136 * (b - 128) - 0.714136 * (c - 128))
                rgb[pixel * 3 + 2] = clamp(a + 1.772 * (b - 128))
            }
        }
        return rgb
    }
}

extension Picture {
    /// The picture shrunk to fit `width` x `height`, its proportions kept, each pixel the
    /// average of those it covers (PS3.18 8.3.5.1.2 viewport); never enlarged.
    func fitted(width: Int, height: Int) -> Picture {
        let scale = min(Double(width) / Double(self.width), Double(height) / Double(self.height), 1)
        guard scale < 1 else { return self }
        let newWidth = max(1, Int((Double(self.width) * scale).rounded())), newHeight = max(1, Int((Double(self.height) * scale).rounded()))
        let channels = isColor ? 3 : 1
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
        for y in 0..<newHeight {
            let top = y * self.height / newHeight, bottom = max(top + 1, (y + 1) * self.height / newHeight)
            for x in 0..<newWidth {
                let left = x * self.width / newWidth, right = max(left + 1, (x + 1) * self.width / newWidth)
                for channel in 0..<channels {
                    var sum = 0
                    for sy in top..<bottom { for sx in left..<right { sum += Int(pixels[(sy * self.width + sx) * channels + channel]) } }
                    out[(y * newWidth + x) * channels + channel] = UInt8(sum / ((bottom - top) * (right - left)))
                }
            }
        }
        return Picture(width: newWidth, height: newHeight, isColor: isColor, pixels: out)
    }
}
