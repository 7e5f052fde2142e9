import DICOM

/// The frames of a stored instance, read from its file one at a time without loading the
/// rest of the pixel data: native frames by offset (PS3.5 8.1.1), encapsulated ones from
/// their fragments (PS3.5 A.4), and either as native samples (`decodedFrame`).
public struct StoredFrames: Sendable {
    public let geometry: PixelGeometry
    public let layout: FrameLayout
    public let transferSyntax: TransferSyntax
    private let pixelData: DataElement
    private let file: OpenFile

    /// `dataSet` read from `file` with its large values left there (a bulk data threshold).
    public init(_ dataSet: DataSet, transferSyntax: TransferSyntax, file: OpenFile) throws(CodecError) {
        guard let pixels = dataSet[.pixelData] else { throw CodecError("the instance has no pixel data") }
        guard let geometry = PixelGeometry(dataSet) else {
            throw CodecError("the instance has no image: Rows, Columns or Bits Allocated is missing")
        }
        func integer(_ tag: Tag) -> Int? { (try? dataSet.int(tag)) ?? nil }
        self.geometry = geometry
        layout = FrameLayout(rows: geometry.rows, columns: geometry.columns, samplesPerPixel: geometry.samplesPerPixel,
                             bitsAllocated: geometry.bitsAllocated, bitsStored: integer(Tag.bitsStored) ?? geometry.bitsAllocated,
                             isSigned: integer(.pixelRepresentation) == 1, photometric: geometry.photometric)
        self.transferSyntax = transferSyntax
        pixelData = pixels
        self.file = file
    }

    public var count: Int { geometry.numberOfFrames }
    public var isEncapsulated: Bool { transferSyntax.isEncapsulated }

    /// Whether `decodedFrame` can give its frames as native samples.
    public var decodes: Bool { !isEncapsulated || FrameDecoder.decodes(transferSyntax.uid) }

    /// Frame `number` (from 1) as stored: native bytes (little endian, PS3.18 8.7.3.3.2), or
    /// the compressed bitstream.
    public func frame(_ number: Int) throws(CodecError) -> [UInt8] {
        guard (1...count).contains(number) else { throw CodecError("there is no frame \(number); the instance has \(count)") }
        let length = geometry.frameLength
        do {
            switch pixelData.value {
            case .bytes(let bytes):
                let start = (number - 1) * length
                guard start + length <= bytes.count else { throw CodecError("the pixel data is shorter than its frames") }
                return Array(bytes[start..<start + length])
            case .bulk(let reference):
                let start = (number - 1) * length
                guard start + length <= reference.length else { throw CodecError("the pixel data is shorter than its frames") }
                // The parser made the values it loaded little endian; one left in the file is swapped here.
                return reference.littleEndian(try file.read(at: reference.offset + start, upTo: length))
            case .encapsulated(let encapsulated):
                var bytes: [UInt8] = []
                for fragment in try fragments(of: number, in: encapsulated) {
                    switch fragment {
                    case .bytes(let value): bytes += value
                    case .bulk(let reference): bytes += try file.read(at: reference.offset, upTo: reference.length)
                    }
                }
                return bytes
            case .sequence:
                throw CodecError("the pixel data is not a value")
            }
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError("the pixel data cannot be read: \(error)")
        }
    }

    /// Frame `number` as native samples, little endian, colour by pixel once decoded, with
    /// the Photometric Interpretation that describes them (a YBR frame its decoder made RGB
    /// says RGB).
    public func decodedFrame(_ number: Int) throws(CodecError) -> DecodedFrame {
        let stored = try frame(number)
        guard isEncapsulated else { return DecodedFrame(bytes: stored, photometric: geometry.photometric) }
        return try FrameDecoder.decode(stored, transferSyntaxUID: transferSyntax.uid, layout: layout)
    }

    /// Which fragments make a frame: all of them for a single frame, one each when there
    /// are as many as frames, else as the basic offset table says (PS3.5 A.4).
    private func fragments(of number: Int, in pixels: EncapsulatedPixelData) throws(CodecError) -> [EncapsulatedPixelData.Fragment] {
        let fragments = pixels.fragments
        if count == 1 { return fragments }
        if fragments.count == count { return [fragments[number - 1]] }
        let table = pixels.basicOffsetTable
        guard table.count == count * 4 else {
            throw CodecError("\(fragments.count) fragments for \(count) frames and no basic offset table to tell them apart")
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
