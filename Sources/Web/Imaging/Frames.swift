import Codecs
import DICOM

/// The frames of a stored instance, read from its file without loading the rest of the
/// pixel data: native frames by offset (PS3.5 8.1.1), encapsulated ones from their
/// fragments (PS3.5 A.4).
struct Frames {
    let description: PixelDescription
    let transferSyntax: TransferSyntax
    private let pixelData: DataElement
    private let file: OpenFile

    init(path: String) throws {
        // Pixel data and other large values stay in the file until a frame is asked for.
        let parsed = try BoundedRead.file(path, bulkDataThreshold: 4096)
        guard let pixels = parsed.dataSet[.pixelData], let file = parsed.bulkDataFile ?? (try? OpenFile(path: path)) else {
            throw ImagingError("the instance has no pixel data")
        }
        var description = try PixelDescription(parsed.dataSet)
        if description.photometric == "PALETTE COLOR" {
            description.palette = try Self.palette(parsed.dataSet, file: file)
        }
        self.description = description
        transferSyntax = parsed.transferSyntax
        pixelData = pixels
        self.file = file
    }

    var count: Int { description.numberOfFrames }

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
        let red = try table(Tag(0x0028, 0x1101), Tag(0x0028, 0x1201))
        let green = try table(Tag(0x0028, 0x1102), Tag(0x0028, 0x1202))
        let blue = try table(Tag(0x0028, 0x1103), Tag(0x0028, 0x1203))
        return PixelDescription.Palette(firstValue: red.first, red: red.values, green: green.values, blue: blue.values)
    }
    var isEncapsulated: Bool { transferSyntax.isEncapsulated }

    /// Frame `number` (from 1) as stored: native bytes, or the compressed bitstream.
    func frame(_ number: Int) throws -> [UInt8] {
        guard (1...count).contains(number) else { throw ImagingError("there is no frame \(number); the instance has \(count)") }
        switch pixelData.value {
        case .bytes(let bytes):
            let start = (number - 1) * description.frameLength
            guard start + description.frameLength <= bytes.count else { throw ImagingError("the pixel data is shorter than its frames") }
            return Array(bytes[start..<start + description.frameLength])
        case .bulk(let reference):
            let start = (number - 1) * description.frameLength
            guard start + description.frameLength <= reference.length else { throw ImagingError("the pixel data is shorter than its frames") }
            // Frames are given little endian, as PS3.18 8.7.3.3.2 has native frames (the parser
            // already made values it loaded so).
            return reference.littleEndian(try file.read(at: reference.offset + start, upTo: description.frameLength))
        case .encapsulated(let encapsulated):
            return try fragments(of: number, in: encapsulated).flatMap { try bytes(of: $0) }
        case .sequence:
            throw ImagingError("the pixel data is not a value")
        }
    }

    /// Whether its frames can be given as native samples.
    var decodes: Bool { !isEncapsulated || FrameDecoder.decodes(transferSyntax.uid) }

    /// Frame `number` as native samples (little endian, colour by pixel once decoded), and
    /// the description that fits them: a compressed frame is decoded by `FrameDecoder`, and a
    /// YBR one its decoder made RGB says RGB.
    func nativeFrame(_ number: Int) throws -> (bytes: [UInt8], description: PixelDescription) {
        let stored = try frame(number)
        guard isEncapsulated else { return (stored, description) }
        let layout = FrameLayout(rows: description.rows, columns: description.columns, samplesPerPixel: description.samplesPerPixel,
                                 bitsAllocated: description.bitsAllocated, bitsStored: description.bitsStored,
                                 isSigned: description.isSigned, photometric: description.photometric)
        do throws(CodecError) {
            let decoded = try FrameDecoder.decode(stored, transferSyntaxUID: transferSyntax.uid, layout: layout)
            var native = description
            native.photometric = decoded.photometric
            native.planarConfiguration = 0
            return (decoded.bytes, native)
        } catch {
            throw ImagingError(error.description)
        }
    }

    private func bytes(of fragment: EncapsulatedPixelData.Fragment) throws -> [UInt8] {
        switch fragment {
        case .bytes(let bytes): return bytes
        case .bulk(let reference): return try file.read(at: reference.offset, upTo: reference.length)
        }
    }

    /// Which fragments make a frame: all of them for a single frame, one each when there
    /// are as many as frames, else as the basic offset table says (PS3.5 A.4).
    private func fragments(of number: Int, in pixels: EncapsulatedPixelData) throws -> [EncapsulatedPixelData.Fragment] {
        let fragments = pixels.fragments
        if count == 1 { return fragments }
        if fragments.count == count { return [fragments[number - 1]] }
        let table = pixels.basicOffsetTable
        guard table.count == count * 4 else {
            throw ImagingError("\(fragments.count) fragments for \(count) frames and no basic offset table to tell them apart")
        }
        let offsets = (0..<count).map { index in
            (0..<4).reduce(0) { $0 | Int(table[index * 4 + $1]) << (8 * $1) }
        }
        // Each fragment's offset from the first, counting its 8-byte item header.
        var position = 0
        var starts: [Int] = []
        for fragment in fragments {
            starts.append(position)
            position += fragment.length + 8
        }
        let start = offsets[number - 1]
        let end = number < count ? offsets[number] : Int.max
        return zip(starts, fragments).filter { $0.0 >= start && $0.0 < end }.map(\.1)
    }
}
