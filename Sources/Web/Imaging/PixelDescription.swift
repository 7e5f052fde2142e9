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
        guard let rows = integer(Tag.rows), let columns = integer(Tag.columns), rows > 0, columns > 0,
              let bitsAllocated = integer(Tag.bitsAllocated) else {
            throw ImagingError("the instance has no image: Rows, Columns or Bits Allocated is missing")
        }
        self.rows = rows
        self.columns = columns
        self.bitsAllocated = bitsAllocated
        samplesPerPixel = integer(Tag.samplesPerPixel) ?? 1
        bitsStored = integer(Tag.bitsStored) ?? bitsAllocated
        isSigned = integer(Tag.pixelRepresentation) == 1
        photometric = ((try? dataSet.string(Tag.photometricInterpretation)) ?? nil) ?? (samplesPerPixel == 3 ? "RGB" : "MONOCHROME2")
        planarConfiguration = integer(Tag.planarConfiguration) ?? 0
        numberOfFrames = max(1, integer(Tag.numberOfFrames) ?? 1)
        rescaleSlope = ((try? dataSet.double(Tag.rescaleSlope)) ?? nil) ?? 1
        rescaleIntercept = ((try? dataSet.double(Tag.rescaleIntercept)) ?? nil) ?? 0
        windowCenter = (try? dataSet.double(Tag.windowCenter)) ?? nil
        windowWidth = (try? dataSet.double(Tag.windowWidth)) ?? nil
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
