/// How much native pixel data an image holds (PS3.5 8.1.1, PS3.3 C.7.6.3): from the Image
/// Pixel module's Rows, Columns, Samples per Pixel, Bits Allocated, Photometric
/// Interpretation and Number of Frames.
public struct PixelGeometry: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var numberOfFrames: Int
    public var photometric: String

    public init(rows: Int, columns: Int, samplesPerPixel: Int = 1, bitsAllocated: Int, numberOfFrames: Int = 1, photometric: String = "MONOCHROME2") {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.numberOfFrames = numberOfFrames
        self.photometric = photometric
    }

    /// The geometry a data set declares; nil when Rows, Columns or Bits Allocated is missing or not positive.
    public init?(_ dataSet: DataSet) {
        func integer(_ tag: Tag) -> Int? { (try? dataSet.int(tag)) ?? nil }
        guard let rows = integer(.rows), let columns = integer(.columns), let bits = integer(.bitsAllocated),
              rows > 0, columns > 0, bits > 0 else { return nil }
        let samples = max(1, integer(.samplesPerPixel) ?? 1)
        self.init(rows: rows, columns: columns, samplesPerPixel: samples, bitsAllocated: bits,
                  numberOfFrames: max(1, integer(.numberOfFrames) ?? 1),
                  photometric: ((try? dataSet.string(.photometricInterpretation)) ?? nil) ?? (samples == 3 ? "RGB" : "MONOCHROME2"))
    }

    /// Whether the chrominance is kept for every other pixel only: YBR_FULL_422 and
    /// YBR_PARTIAL_422 store Y for each pixel and Cb, Cr for each pair (PS3.3 C.7.6.3.1.2).
    public var isHorizontallySubsampled: Bool {
        samplesPerPixel == 3 && (photometric == "YBR_FULL_422" || photometric == "YBR_PARTIAL_422")
    }

    /// Samples stored per pixel, on average: two for 4:2:2, else Samples per Pixel.
    public var storedSamplesPerPixel: Int { isHorizontallySubsampled ? 2 : samplesPerPixel }

    /// The bits of one uncompressed frame.
    public var frameBits: Int { rows * columns * storedSamplesPerPixel * bitsAllocated }

    /// The bytes of one uncompressed frame (a 1-bit frame rounded up; PS3.5 8.1.1 packs
    /// 1-bit frames one after another without padding between them).
    public var frameLength: Int { (frameBits + 7) / 8 }

    /// The bytes every frame together needs, before the value's padding to even length.
    public var totalLength: Int { (frameBits * numberOfFrames + 7) / 8 }
}
