import DICOM
import Hummingbird

/// Why a frame cannot be given or drawn: the viewer then says to open the study in a
/// diagnostic viewer instead.
struct ImagingError: Error, Equatable, CustomStringConvertible {
    let description: String
    /// The decoders were busy (`DecodeBudget`): 503, worth asking again, not 406.
    var isBusy = false
    init(_ description: String, isBusy: Bool = false) {
        self.description = description
        self.isBusy = isBusy
    }
}

/// The Image Pixel module's attributes that say how to read a frame (PS3.3 C.7.6.3), and
/// the VOI LUT and modality LUT ones that say how to show it (C.11.2, C.11.1).
struct PixelDescription: Sendable, Equatable {
    var rows: Int
    var columns: Int
    var samplesPerPixel: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var isSigned: Bool
    var photometric: String
    var planarConfiguration: Int
    var numberOfFrames: Int
    var rescaleSlope: Double
    var rescaleIntercept: Double
    var windowCenter: Double?
    var windowWidth: Double?
    /// PALETTE COLOR's red, green and blue tables, 8 bits an entry, from the first value
    /// they map (PS3.3 C.7.6.3.1.5); set by `Frames`, which can read them from the file.
    var palette: Palette?

    struct Palette: Sendable, Equatable {
        var firstValue: Int
        var red: [UInt8]
        var green: [UInt8]
        var blue: [UInt8]
    }

    init(_ dataSet: DataSet) throws(ImagingError) {
        func integer(_ tag: Tag) -> Int? { (try? dataSet.int(tag)) ?? nil }
        guard let rows = integer(Tag(0x0028, 0x0010)), let columns = integer(Tag(0x0028, 0x0011)), rows > 0, columns > 0,
              let bitsAllocated = integer(Tag(0x0028, 0x0100)) else {
            throw ImagingError("the instance has no image: Rows, Columns or Bits Allocated is missing")
        }
        self.rows = rows
        self.columns = columns
        self.bitsAllocated = bitsAllocated
        samplesPerPixel = integer(Tag(0x0028, 0x0002)) ?? 1
        bitsStored = integer(Tag(0x0028, 0x0101)) ?? bitsAllocated
        isSigned = integer(Tag(0x0028, 0x0103)) == 1
        photometric = ((try? dataSet.string(Tag(0x0028, 0x0004))) ?? nil) ?? (samplesPerPixel == 3 ? "RGB" : "MONOCHROME2")
        planarConfiguration = integer(Tag(0x0028, 0x0006)) ?? 0
        numberOfFrames = max(1, integer(Tag(0x0028, 0x0008)) ?? 1)
        rescaleSlope = ((try? dataSet.double(Tag(0x0028, 0x1053))) ?? nil) ?? 1
        rescaleIntercept = ((try? dataSet.double(Tag(0x0028, 0x1052))) ?? nil) ?? 0
        windowCenter = (try? dataSet.double(Tag(0x0028, 0x1050))) ?? nil
        windowWidth = (try? dataSet.double(Tag(0x0028, 0x1051))) ?? nil
        guard [8, 16, 32].contains(bitsAllocated), [1, 3].contains(samplesPerPixel), bitsStored >= 1, bitsStored <= bitsAllocated else {
            throw ImagingError("\(bitsAllocated)-bit pixels with \(samplesPerPixel) samples are not drawn here")
        }
    }

    var bytesPerSample: Int { bitsAllocated / 8 }

    var geometry: PixelGeometry {
        PixelGeometry(rows: rows, columns: columns, samplesPerPixel: samplesPerPixel, bitsAllocated: bitsAllocated,
                      numberOfFrames: numberOfFrames, photometric: photometric)
    }

    /// The length of one uncompressed frame (PS3.5 8.1.1; 4:2:2 keeps two samples a pixel).
    var frameLength: Int { geometry.frameLength }
}

/// A frame that cannot be given or drawn is not an acceptable answer to the request:
/// 406 with what is wrong, as problem+json.
extension ImagingError: HTTPResponseError {
    var status: HTTPResponse.Status { isBusy ? .serviceUnavailable : .notAcceptable }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try Problem(status, description).response(from: request, context: context)
    }
}
