/// Parses data elements from a stream in one transfer syntax's encoding (PS3.5 7).
struct DataSetParser {
    var reader: ByteReader
    var explicitVR: Bool
    var bigEndian: Bool
    let options: ReadOptions
    /// Set when a header-only read stopped at pixel data: the offset of its tag.
    private(set) var pixelDataOffset: Int?

    private static let undefinedLength: UInt32 = 0xFFFF_FFFF

    init(reader: ByteReader, explicitVR: Bool, bigEndian: Bool, options: ReadOptions) {
        self.reader = reader
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
        self.options = options
    }

    /// Where a data set ends.
    enum End {
        /// The top level: the end of the stream (or the pixel data, for a header-only read).
        case stream
        /// A defined-length item ending at this offset.
        case offset(Int)
        /// An undefined-length item, ended by an item delimitation item.
        case delimiter
        /// The file meta group: ends before the first tag of another group.
        case group(UInt16)
    }

    mutating func parseDataSet(until end: End, depth: Int = 0) throws(DICOMError) -> DataSet {
        // A top-level data set has a few hundred elements; growing to them costs reallocations.
        var dataSet: DataSet
        if case .stream = end { dataSet = DataSet(reservingCapacity: 256) } else { dataSet = DataSet(reservingCapacity: 8) }
        while true {
            switch end {
            case .stream:
                if try reader.atEnd() { return dataSet }
            case .offset(let limit):
                if reader.offset >= limit { return dataSet }
            case .delimiter:
                break
            case .group(let group):
                guard let first = try reader.peekByte(0), let second = try reader.peekByte(1) else { return dataSet }
                let found = bigEndian ? UInt16(first) << 8 | UInt16(second) : UInt16(second) << 8 | UInt16(first)
                if found != group { return dataSet }
            }
            let tagOffset = reader.offset
            let tag: Tag
            do {
                tag = try readTag()
            } catch where options.isLenient && error.code == .truncated {
                if case .stream = end { return dataSet } // a few stray bytes at the end
                throw error
            }
            if tag.isDelimiter {
                let length = try reader.uint32(bigEndian: bigEndian)
                if tag == .itemDelimitationItem, case .delimiter = end {
                    if length != 0 && !options.isLenient {
                        throw DICOMError(.malformedSequence, offset: tagOffset, tag: tag, "item delimitation item with length \(length), not 0")
                    }
                    return dataSet
                }
                if tag == .itemDelimitationItem, options.isLenient { continue } // a stray delimiter some writers leave
                throw DICOMError(.malformedSequence, offset: tagOffset, tag: tag, "\(Self.name(of: tag)) where a data element belongs")
            }
            if case .stream = end, options.stopBeforePixelData, tag.isPixelData {
                pixelDataOffset = tagOffset
                return dataSet
            }
            let element = try parseElement(tag: tag, at: tagOffset, in: dataSet, end: end, depth: depth)
            dataSet.append(element)
        }
    }

    private mutating func readTag() throws(DICOMError) -> Tag {
        let group = try reader.uint16(bigEndian: bigEndian)
        let element = try reader.uint16(bigEndian: bigEndian)
        return Tag(group, element)
    }

    private mutating func parseElement(tag: Tag, at tagOffset: Int, in dataSet: DataSet, end: End, depth: Int) throws(DICOMError) -> DataElement {
        var vr: VR
        var length: UInt32
        if explicitVR {
            let vrOffset = reader.offset
            guard let byte0 = try reader.peekByte(0), let byte1 = try reader.peekByte(1) else {
                throw DICOMError(.truncated, offset: vrOffset, tag: tag, "the stream ends before the VR")
            }
            if let explicit = VR(byte0: byte0, byte1: byte1) {
                try reader.skip(2)
                vr = explicit
                if vr.hasLongLength {
                    try reader.skip(2) // reserved, PS3.5 7.1.2
                    length = try reader.uint32(bigEndian: bigEndian)
                } else {
                    length = UInt32(try reader.uint16(bigEndian: bigEndian))
                }
            } else if options.isLenient {
                // Some writers switch to implicit VR mid-stream; read this one that way.
                vr = Self.implicitVR(for: tag, in: dataSet)
                length = try reader.uint32(bigEndian: bigEndian)
            } else {
                let shown = hex2(byte0) + " " + hex2(byte1)
                throw DICOMError(.invalidVR, offset: vrOffset, tag: tag, "bytes \(shown) where an explicit VR belongs name no VR")
            }
        } else {
            vr = Self.implicitVR(for: tag, in: dataSet)
            length = try reader.uint32(bigEndian: bigEndian)
        }

        let valueOffset = reader.offset
        if length == Self.undefinedLength {
            return try parseUndefinedLength(tag: tag, vr: vr, at: valueOffset, depth: depth)
        }
        let count = Int(length)
        if let remaining = reader.remaining, count > remaining {
            guard options.isLenient else {
                throw DICOMError(.lengthPastEnd, offset: valueOffset, tag: tag,
                                 "value length \(count) points \(count - remaining) bytes past the end of the stream")
            }
            // A file cut short: keep what there is of the last value.
            if vr == .SQ { return DataElement(tag: tag, items: try parseItems(tag: tag, end: reader.length, depth: depth), hasUndefinedLength: false) }
            return DataElement(tag: tag, vr: vr, bytes: try reader.rest())
        }
        if case .offset(let limit) = end, valueOffset + count > limit {
            throw DICOMError(.lengthPastEnd, offset: valueOffset, tag: tag,
                             "value length \(count) runs \(valueOffset + count - limit) bytes past the end of its item")
        }
        if vr == .SQ {
            let items = try parseItems(tag: tag, end: valueOffset + count, depth: depth)
            return DataElement(tag: tag, items: items, hasUndefinedLength: false)
        }
        let swapSize = vr.byteSwapSize(of: tag, bitsAllocated: (try? dataSet.int(.bitsAllocated)) ?? nil)
        return DataElement(tag: tag, vr: vr, value: try readValue(count: count, vr: vr, tag: tag, swapSize: swapSize))
    }

    private mutating func readValue(count: Int, vr: VR, tag: Tag, swapSize: Int) throws(DICOMError) -> ElementValue {
        if let reference = try referToFile(count: count, vr: vr, swapSize: swapSize) { return .bulk(reference) }
        let at = reader.offset
        do {
            var bytes = try reader.bytes(count)
            if bigEndian { swapBytes(&bytes, size: swapSize) }
            return .bytes(bytes)
        } catch {
            throw DICOMError(error.code, offset: at, tag: tag, error.message)
        }
    }

    /// Leaves a large binary value in the file, when the options ask for it.
    private mutating func referToFile(count: Int, vr: VR, swapSize: Int) throws(DICOMError) -> BulkDataReference? {
        guard let threshold = options.bulkDataThreshold, count >= threshold, vr.isBulkDataCandidate,
              reader.canReferToFile || options.skipsBulkData else { return nil }
        let reference = BulkDataReference(offset: reader.offset, length: count, isBigEndian: bigEndian && swapSize > 1, swapSize: swapSize)
        try reader.skip(count)
        return reference
    }

    private mutating func parseUndefinedLength(tag: Tag, vr: VR, at offset: Int, depth: Int) throws(DICOMError) -> DataElement {
        switch vr {
        case .SQ:
            return DataElement(tag: tag, items: try parseItems(tag: tag, end: nil, depth: depth))
        case .UN:
            // PS3.5 6.2.2: a UN value of undefined length is a sequence in Implicit VR Little Endian.
            let saved = (explicitVR, bigEndian)
            (explicitVR, bigEndian) = (false, false)
            defer { (explicitVR, bigEndian) = saved }
            return DataElement(tag: tag, vr: .UN, value: .sequence(try parseItems(tag: tag, end: nil, depth: depth)), hasUndefinedLength: true)
        case .OB, .OW:
            // PS3.5 A.4: encapsulated pixel data (and the rare private binary encoded the same way).
            // Encapsulated fragments are OB (PS3.5 A.4), whatever an implicit VR dictionary says.
            let encapsulatedVR = explicitVR ? vr : .OB
            return DataElement(tag: tag, vr: encapsulatedVR, value: .encapsulated(try parseFragments(tag: tag)), hasUndefinedLength: true)
        default:
            throw DICOMError(.invalidLength, offset: offset, tag: tag, "undefined length on a value of VR \(vr.rawValue)")
        }
    }

    /// Items of a sequence up to `end`, or to a sequence delimitation item (PS3.5 7.5).
    private mutating func parseItems(tag: Tag, end: Int?, depth: Int) throws(DICOMError) -> [Item] {
        if depth >= options.maximumNestingDepth {
            throw DICOMError(.nestingTooDeep, offset: reader.offset, tag: tag, "sequences nested deeper than \(options.maximumNestingDepth)")
        }
        var items: [Item] = []
        while true {
            if let end, reader.offset >= end {
                if reader.offset > end {
                    throw DICOMError(.lengthPastEnd, offset: reader.offset, tag: tag, "items run past the sequence's length")
                }
                return items
            }
            let itemOffset = reader.offset
            let itemTag = try readTag()
            let length = try reader.uint32(bigEndian: bigEndian)
            if itemTag == .sequenceDelimitationItem && end == nil {
                return items
            }
            guard itemTag == .item else {
                throw DICOMError(.malformedSequence, offset: itemOffset, tag: tag, "expected an item, found \(itemTag)")
            }
            if length == Self.undefinedLength {
                items.append(Item(dataSet: try parseDataSet(until: .delimiter, depth: depth + 1), hasUndefinedLength: true))
                continue
            }
            var itemEnd = reader.offset + Int(length)
            if let remaining = reader.remaining, Int(length) > remaining {
                guard options.isLenient else {
                    throw DICOMError(.lengthPastEnd, offset: itemOffset, tag: tag, "item length \(length) points past the end of the stream")
                }
                itemEnd = reader.offset + remaining // cut short: read what there is
            }
            if let end, itemEnd > end {
                // Leniently, the sequence's length was stale: it ends after this item.
                guard options.isLenient else {
                    throw DICOMError(.lengthPastEnd, offset: itemOffset, tag: tag, "item length \(length) runs past the sequence's length")
                }
                items.append(Item(dataSet: try parseDataSet(until: .offset(itemEnd), depth: depth + 1), hasUndefinedLength: false))
                return items
            }
            items.append(Item(dataSet: try parseDataSet(until: .offset(itemEnd), depth: depth + 1), hasUndefinedLength: false))
        }
    }

    /// The basic offset table and fragments of encapsulated pixel data (PS3.5 A.4).
    private mutating func parseFragments(tag: Tag) throws(DICOMError) -> EncapsulatedPixelData {
        var offsetTable: [UInt8]?
        var fragments: [EncapsulatedPixelData.Fragment] = []
        let start = reader.offset
        while true {
            let itemOffset = reader.offset
            let itemTag = try readTag()
            let length = try reader.uint32(bigEndian: bigEndian)
            if itemTag == .sequenceDelimitationItem {
                let range = reader.canReferToFile ? BulkDataReference(offset: start, length: reader.offset - start) : nil
                return EncapsulatedPixelData(basicOffsetTable: offsetTable ?? [], fragments: fragments, fileRange: range)
            }
            guard itemTag == .item, length != Self.undefinedLength else {
                throw DICOMError(.malformedEncapsulation, offset: itemOffset, tag: tag,
                                 itemTag == .item ? "a fragment of undefined length" : "expected a fragment item, found \(itemTag)")
            }
            let count = Int(length)
            if let remaining = reader.remaining, count > remaining {
                throw DICOMError(.lengthPastEnd, offset: itemOffset, tag: tag, "fragment length \(count) points past the end of the stream")
            }
            if offsetTable == nil {
                offsetTable = try reader.bytes(count)
            } else if let reference = try referToFile(count: count, vr: .OB, swapSize: 1) {
                fragments.append(.bulk(reference))
            } else {
                fragments.append(.bytes(try reader.bytes(count)))
            }
        }
    }

    /// The items of a UN value of defined length whose tag the dictionary says is a
    /// sequence: Implicit VR Little Endian inside (PS3.5 6.2.2).
    static func items(ofUnknown bytes: [UInt8], tag: Tag) throws(DICOMError) -> [Item] {
        var parser = DataSetParser(reader: ByteReader(bytes: bytes), explicitVR: false, bigEndian: false, options: .strict)
        return try parser.parseItems(tag: tag, end: bytes.count, depth: 0)
    }

    /// The VR an implicit VR encoding leaves to the dictionary (PS3.5 A.1, 7.8.1).
    static func implicitVR(for tag: Tag, in dataSet: DataSet) -> VR {
        if tag.isGroupLength { return .UL }
        if tag.isPrivateCreator { return .LO }
        if tag.isPrivate { return .UN }
        guard let vrs = DataDictionary.entry(for: tag)?.vrs, let first = vrs.first else { return .UN }
        if vrs.count == 1 { return first }
        if vrs.contains(.OW) { return .OW } // "OB or OW", "US or OW": OW in implicit VR (PS3.5 A.1)
        if vrs.contains(.SS) {
            // "US or SS": signed when Pixel Representation says so (PS3.3 C.7.6.3.1).
            let signed = dataSet[.pixelRepresentation]?.bytes.map { $0.first == 1 } ?? false
            return signed ? .SS : .US
        }
        return first
    }

    static func name(of delimiter: Tag) -> String {
        switch delimiter {
        case .item: "an item"
        case .itemDelimitationItem: "an item delimitation item"
        case .sequenceDelimitationItem: "a sequence delimitation item"
        default: "delimiter \(delimiter)"
        }
    }
}

func hex2(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return digits.count == 1 ? "0" + digits : digits
}

/// Reverses the byte order of each `size`-byte number in place; a trailing partial
/// number is left as it is.
func swapBytes(_ bytes: inout [UInt8], size: Int) {
    guard size > 1 else { return }
    bytes.withUnsafeMutableBufferPointer { buffer in
        var start = 0
        while start + size <= buffer.count {
            var low = start, high = start + size - 1
            while low < high {
                buffer.swapAt(low, high)
                low += 1
                high -= 1
            }
            start += size
        }
    }
}
