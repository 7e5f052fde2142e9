import DICOM

/// A stored instance re-encoded in an uncompressed transfer syntax (Explicit or Implicit VR
/// Little Endian), for a peer or a request that cannot take it as stored. The stored file is
/// never changed (blobs stay as received); the copy is made on the way out, a piece at a
/// time: the elements before the pixel data, each frame decoded in turn, the elements
/// after — memory is one frame, whatever the instance's size.
///
/// What changes, as PS3.5 8 and PS3.3 C.7.6.3 require of native pixel data: the pixel data
/// is native (OB for 8-bit samples, OW for wider ones, padded to even length); Photometric
/// Interpretation says what the decoder gave (YBR JPEG, YBR_RCT and YBR_ICT come out RGB);
/// Planar Configuration is 0; and a lossy compressed source keeps saying so: Lossy Image
/// Compression 01 with its method (C.7.6.1.1.5), which is never reset.
public struct UncompressedCopy: Sendable {
    public let source: TransferSyntax
    public let target: TransferSyntax
    /// The data set as it goes, without the pixel data.
    public let dataSet: DataSet
    public let fileMeta: DataSet
    /// Whether the pixel data had to be decoded (not only re-encoded).
    public let decoded: Bool
    /// The lossy method the source's frames were compressed by, when they were.
    public let lossyMethod: String?
    private let frames: StoredFrames?
    private let pixelElement: DataElement?
    private let firstFrame: DecodedFrame?
    private let file: OpenFile?

    /// The deflated data sets read here inflate to at most this; larger ones are refused.
    public static let inflatedLimit = 256 << 20

    /// Reads the instance at `path` (its large values stay in the file) and decodes its first
    /// frame: an instance that cannot be made uncompressed is refused here, before anything goes.
    public init(path: String, to target: TransferSyntax = .explicitVRLittleEndian) throws(CodecError) {
        guard !target.isEncapsulated, !target.isDeflated, !target.isBigEndian else {
            throw CodecError("copies are made in Explicit or Implicit VR Little Endian, not \(target.name)")
        }
        let file: DICOMFile
        do {
            file = try DICOMFile(path: path, options: ReadOptions(bulkDataThreshold: 64 << 10, maximumInflatedLength: Self.inflatedLimit))
        } catch {
            throw CodecError("\(path) cannot be read: \(error)")
        }
        source = file.transferSyntax
        self.target = target
        self.file = file.bulkDataFile
        var meta = file.fileMeta
        meta[.transferSyntaxUID] = DataElement(tag: .transferSyntaxUID, vr: .UI, strings: [target.uid])
        fileMeta = meta
        var dataSet = file.dataSet
        pixelElement = dataSet[.pixelData]
        guard source.isEncapsulated, let pixelElement else {
            // Native already: only the encoding of the values changes.
            (frames, firstFrame, decoded, lossyMethod) = (nil, nil, false, nil)
            dataSet[.pixelData] = nil
            self.dataSet = dataSet
            return
        }
        guard let bulkFile = file.bulkDataFile else { throw CodecError("\(path) was read without its file") }
        let frames = try StoredFrames(dataSet, transferSyntax: source, file: bulkFile)
        guard frames.decodes else { throw CodecError("frames in \(source.name) are not decoded here") }
        let first = try frames.decodedFrame(1)
        lossyMethod = LossyCompression.method(of: try frames.frame(1), transferSyntaxUID: source.uid)
        (self.frames, firstFrame, decoded) = (frames, first, true)
        dataSet[.pixelData] = nil
        // A decoder gives every pixel all its samples: 4:2:2 chrominance comes out whole.
        let photometric = first.photometric.hasSuffix("_422") ? String(first.photometric.dropLast(4)) : first.photometric
        dataSet[.photometricInterpretation] = DataElement(tag: .photometricInterpretation, vr: .CS, strings: [photometric])
        if frames.layout.samplesPerPixel > 1 {
            dataSet[Tag.planarConfiguration] = DataElement(tag: Tag.planarConfiguration, vr: .US, bytes: [0, 0])
        }
        if let lossyMethod {
            dataSet[Tag.lossyImageCompression] = DataElement(tag: Tag.lossyImageCompression, vr: .CS, strings: ["01"])
            if dataSet[Tag.lossyImageCompressionMethod] == nil {
                dataSet[Tag.lossyImageCompressionMethod] = DataElement(tag: Tag.lossyImageCompressionMethod, vr: .CS, strings: [lossyMethod])
            }
        }
        self.dataSet = dataSet
    }

    /// What was done, for a report or an audit record.
    public var summary: String {
        let how = decoded ? "decoded from" : "re-encoded from"
        return "\(how) \(source.name) to \(target.name)" + (lossyMethod.map { " (lossy compressed before, \($0): marked so)" } ?? "")
    }

    /// The data set in the target syntax, a piece at a time.
    public func pieces() -> Pieces { Pieces(copy: self) }

    /// The Part 10 preamble and meta group for a file of the copy.
    public func fileHeader() throws(CodecError) -> [UInt8] {
        let sink = MemorySink()
        do {
            try DICOMFile(fileMeta: fileMeta, dataSet: DataSet(), transferSyntax: target).write(to: sink)
        } catch {
            throw CodecError("the file meta information cannot be written: \(error)")
        }
        return sink.bytes
    }

    /// The pieces of the encoded data set, in order, none empty; nil once all have been given.
    public struct Pieces: Sendable {
        private let copy: UncompressedCopy
        private var step = Step.before
        private var offset = 0

        private enum Step { case before, header, frame(Int), native, after, done }

        init(copy: UncompressedCopy) { self.copy = copy }

        public mutating func next() throws(CodecError) -> [UInt8]? {
            // A step may have nothing to give (no elements after the pixel data, a header that goes with its value).
            while let piece = try advance() {
                if !piece.isEmpty { return piece }
            }
            return nil
        }

        /// The next step's bytes, possibly none; nil once all are done.
        private mutating func advance() throws(CodecError) -> [UInt8]? {
            switch step {
            case .before:
                step = copy.pixelElement == nil ? .after : .header
                return try encode(copy.dataSet.elements.filter { $0.tag < .pixelData })
            case .header:
                step = copy.frames == nil ? .native : .frame(1)
                return try header()
            case .frame(let number):
                guard let frames = copy.frames, let first = copy.firstFrame else { return nil }
                let decoded = number == 1 ? first : try frames.decodedFrame(number)
                guard decoded.bytes.count == frames.layout.frameLength else {
                    throw CodecError("frame \(number) decoded to \(decoded.bytes.count) bytes, not \(frames.layout.frameLength)")
                }
                let last = number == frames.count
                step = last ? .after : .frame(number + 1)
                // PS3.5 7.1.1: a value has even length.
                return last && frames.layout.frameLength * frames.count % 2 == 1 ? decoded.bytes + [0] : decoded.bytes
            case .native:
                guard let element = copy.pixelElement, let piece = try nativePiece(element) else {
                    step = .after
                    return []
                }
                return piece
            case .after:
                step = .done
                return try encode(copy.dataSet.elements.filter { $0.tag > .pixelData })
            case .done:
                return nil
            }
        }

        /// Native pixel data as it is, in 1 MiB pieces (made little endian), whole element
        /// with its header for a loaded value.
        private mutating func nativePiece(_ element: DataElement) throws(CodecError) -> [UInt8]? {
            guard case .bulk(let reference) = element.value, let file = copy.file else {
                guard offset == 0 else { return nil }
                offset = 1
                var pixels = DataSet()
                pixels[.pixelData] = element
                return try encode(pixels.elements)
            }
            guard offset < reference.length else { return nil }
            let piece: [UInt8]
            do {
                piece = reference.littleEndian(try file.read(at: reference.offset + offset, upTo: min(1 << 20, reference.length - offset)))
            } catch {
                throw CodecError("the pixel data cannot be read: \(error)")
            }
            guard !piece.isEmpty else { throw CodecError("\(file.path) is shorter than when it was read") }
            offset += piece.count
            return piece
        }

        /// The pixel data element's tag, VR and length (PS3.5 7.1.2), before its value.
        private func header() throws(CodecError) -> [UInt8] {
            let length: Int
            let vr: VR
            if let frames = copy.frames {
                length = frames.layout.frameLength * frames.count
                vr = frames.layout.bitsAllocated > 8 ? .OW : .OB
            } else {
                guard let element = copy.pixelElement else { return [] }
                guard case .bulk(let reference) = element.value else { return [] } // a loaded value goes whole with its header
                length = reference.length
                vr = element.vr
            }
            let even = length + length % 2
            guard even < 0xFFFF_FFFF else { throw CodecError("the decoded pixel data, \(even) bytes, is longer than a length field holds") }
            let le32 = (0..<4).map { UInt8(truncatingIfNeeded: even >> (8 * $0)) }
            if copy.target.isExplicitVR {
                return [0xE0, 0x7F, 0x10, 0x00] + Array(vr.rawValue.utf8) + [0, 0] + le32
            }
            return [0xE0, 0x7F, 0x10, 0x00] + le32
        }

        private func encode(_ elements: [DataElement]) throws(CodecError) -> [UInt8] {
            var part = DataSet()
            for element in elements { part[element.tag] = element }
            do {
                return try part.encoded(in: copy.target, bulkDataFrom: copy.file)
            } catch {
                throw CodecError("the data set cannot be encoded in \(copy.target.name): \(error)")
            }
        }
    }
}
