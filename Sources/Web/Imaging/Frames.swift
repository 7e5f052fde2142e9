import Codecs
import DICOM

/// The frames of a stored instance (`StoredFrames`) with what the web side needs to draw
/// them: the windowing attributes and a palette read from the file.
struct Frames {
    let description: PixelDescription
    private let stored: StoredFrames

    init(path: String) throws {
        // Pixel data and other large values stay in the file until a frame is asked for.
        let parsed = try BoundedRead.file(path, bulkDataThreshold: 4096)
        guard parsed.dataSet[.pixelData] != nil, let file = parsed.bulkDataFile ?? (try? OpenFile(path: path)) else {
            throw ImagingError("the instance has no pixel data")
        }
        var description = try PixelDescription(parsed.dataSet)
        if description.photometric == "PALETTE COLOR" {
            description.palette = try Self.palette(parsed.dataSet, file: file)
        }
        self.description = description
        do throws(CodecError) {
            stored = try StoredFrames(parsed.dataSet, transferSyntax: parsed.transferSyntax, file: file)
        } catch {
            throw ImagingError(error.description)
        }
    }

    var count: Int { description.numberOfFrames }
    var transferSyntax: TransferSyntax { stored.transferSyntax }

    /// The red, green and blue palettes (PS3.3 C.7.6.3.1.5-6): a descriptor (entries, 0
    /// meaning 65,536; the first value mapped; 8 or 16 bits an entry) and 16-bit words of
    /// data, which 8-bit tables may also pack two entries to a word. Segmented palettes
    /// (C.7.9.2) are not read.
    static func palette(_ dataSet: DataSet, file: OpenFile) throws -> PixelDescription.Palette {
        func table(_ descriptorTag: Tag, _ dataTag: Tag) throws -> (first: Int, values: [UInt8]) {
            guard let descriptor = try? dataSet.integers(descriptorTag), descriptor.count == 3, let element = dataSet[dataTag] else {
                throw ImagingError("a PALETTE COLOR image without its lookup tables (segmented palettes are not drawn here)")
            }
            let entries = descriptor[0] == 0 ? 65536 : descriptor[0]
            let bytes: [UInt8]
            switch element.value {
            case .bytes(let value): bytes = value
            case .bulk(let reference): bytes = try file.read(at: reference.offset, upTo: reference.length)
            default: throw ImagingError("a palette's data is not a value")
            }
            // A value below the first mapped one is the first entry's (PS3.3 C.7.6.3.1.5).
            let first = descriptor[1] < 0 ? descriptor[1] + 65536 : descriptor[1]
            if bytes.count == entries { return (first, bytes) } // 8-bit entries packed two to a word
            guard bytes.count >= entries * 2 else { throw ImagingError("a palette is shorter than its descriptor says") }
            let shift = descriptor[2] == 8 ? 0 : 8
            return (first, (0..<entries).map { UInt8(truncatingIfNeeded: (Int(bytes[$0 * 2]) | Int(bytes[$0 * 2 + 1]) << 8) >> shift) })
        }
        let red = try table(Tag.redPaletteColorLookupTableDescriptor, Tag.redPaletteColorLookupTableData)
        let green = try table(Tag.greenPaletteColorLookupTableDescriptor, Tag.greenPaletteColorLookupTableData)
        let blue = try table(Tag.bluePaletteColorLookupTableDescriptor, Tag.bluePaletteColorLookupTableData)
        return PixelDescription.Palette(firstValue: red.first, red: red.values, green: green.values, blue: blue.values)
    }
    var isEncapsulated: Bool { stored.isEncapsulated }

    /// Frame `number` (from 1) as stored: native bytes, or the compressed bitstream.
    func frame(_ number: Int) throws -> [UInt8] {
        do throws(CodecError) { return try stored.frame(number) } catch { throw ImagingError(error.description, isBusy: error.isBusy) }
    }

    /// Whether its frames can be given as native samples.
    var decodes: Bool { stored.decodes }

    /// Frame `number` as native samples (little endian, colour by pixel once decoded), and
    /// the description that fits them: a YBR frame its decoder made RGB says RGB.
    func nativeFrame(_ number: Int) throws -> (bytes: [UInt8], description: PixelDescription) {
        do throws(CodecError) {
            let decoded = try stored.decodedFrame(number)
            guard isEncapsulated else { return (decoded.bytes, description) }
            var native = description
            native.photometric = decoded.photometric
            native.planarConfiguration = 0
            return (decoded.bytes, native)
        } catch {
            throw ImagingError(error.description, isBusy: error.isBusy)
        }
    }
}
