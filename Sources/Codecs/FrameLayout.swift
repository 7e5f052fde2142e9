/// The Image Pixel attributes a compressed frame is decoded against (PS3.3 C.7.6.3): they
/// size the output and say what the samples mean. A bitstream that disagrees with them is
/// an error, not a guess.
public struct FrameLayout: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var isSigned: Bool
    public var photometric: String

    public init(rows: Int, columns: Int, samplesPerPixel: Int, bitsAllocated: Int, bitsStored: Int, isSigned: Bool, photometric: String) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.isSigned = isSigned
        self.photometric = photometric
    }

    /// Bytes of one decoded frame: native, colour by pixel (PS3.5 8.1.1).
    public var frameLength: Int { rows * columns * samplesPerPixel * bitsAllocated / 8 }
}

/// A frame decoded to native samples: little endian, colour by pixel (Planar Configuration
/// 0), `bitsAllocated` wide, and the Photometric Interpretation that now describes them
/// (PS3.5 8.2: a YBR image whose decoder undid the colour transform is RGB).
public struct DecodedFrame: Sendable, Equatable {
    public var bytes: [UInt8]
    public var photometric: String
}

/// Why a frame could not be decoded, with what the library said.
public struct CodecError: Error, Equatable, CustomStringConvertible {
    public let description: String
    /// Not the frame's fault: the decode budget was full (`DecodeBudget`); worth asking again.
    public let isBusy: Bool
    public init(_ description: String, isBusy: Bool = false) {
        self.description = description
        self.isBusy = isBusy
    }
}
