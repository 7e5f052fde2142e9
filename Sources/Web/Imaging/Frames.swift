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
        let parsed = try DICOMFile(path: path, options: ReadOptions(bulkDataThreshold: 4096))
        guard let pixels = parsed.dataSet[.pixelData], let file = parsed.bulkDataFile ?? (try? OpenFile(path: path)) else {
            throw ImagingError("the instance has no pixel data")
        }
        description = try PixelDescription(parsed.dataSet)
        transferSyntax = parsed.transferSyntax
        pixelData = pixels
        self.file = file
    }

    var count: Int { description.numberOfFrames }
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
            return try file.read(at: reference.offset + start, upTo: description.frameLength)
        case .encapsulated(let encapsulated):
            return try fragments(of: number, in: encapsulated).flatMap { try bytes(of: $0) }
        case .sequence:
            throw ImagingError("the pixel data is not a value")
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
