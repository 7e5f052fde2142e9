/// Encodes data elements in one transfer syntax's encoding (PS3.5 7), buffering
/// small writes and copying bulk values from their file in chunks.
struct DataSetEncoder {
    private let sink: ByteSink
    private var explicitVR: Bool
    private var bigEndian: Bool
    private let bulkData: OpenFile?
    private var buffer: [UInt8] = []

    private static let flushSize = 64 * 1024
    private static let undefinedLength: UInt32 = 0xFFFF_FFFF

    init(sink: ByteSink, explicitVR: Bool, bigEndian: Bool, bulkData: OpenFile?) {
        self.sink = sink
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
        self.bulkData = bulkData
        buffer.reserveCapacity(Self.flushSize)
    }

    mutating func encode(_ dataSet: DataSet) throws(DICOMError) {
        let bitsAllocated = (try? dataSet.int(.bitsAllocated)) ?? nil
        for element in dataSet.elements { try encode(element, swapSize: element.vr.byteSwapSize(of: element.tag, bitsAllocated: bitsAllocated)) }
    }

    mutating func flush() throws(DICOMError) {
        if !buffer.isEmpty { try sink.write(buffer[...]) }
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func emit(_ bytes: [UInt8]) throws(DICOMError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushSize { try flush() }
    }

    private mutating func emit16(_ value: UInt16) {
        if bigEndian {
            buffer.append(UInt8(value >> 8)); buffer.append(UInt8(truncatingIfNeeded: value))
        } else {
            buffer.append(UInt8(truncatingIfNeeded: value)); buffer.append(UInt8(value >> 8))
        }
    }

    private mutating func emit32(_ value: UInt32) {
        if bigEndian {
            emit16(UInt16(value >> 16)); emit16(UInt16(truncatingIfNeeded: value))
        } else {
            emit16(UInt16(truncatingIfNeeded: value)); emit16(UInt16(value >> 16))
        }
    }

    private mutating func emitTag(_ tag: Tag) {
        emit16(tag.group)
        emit16(tag.element)
    }

    private mutating func emitHeader(_ tag: Tag, _ vr: VR, length: UInt32) throws(DICOMError) {
        emitTag(tag)
        guard explicitVR else { return emit32(length) }
        let (a, b) = vr.bytes
        buffer.append(a)
        buffer.append(b)
        if vr.hasLongLength {
            buffer.append(0)
            buffer.append(0)
            emit32(length)
        } else {
            guard length <= 0xFFFF else {
                throw DICOMError(.unencodable, tag: tag, "a \(vr.rawValue) value of \(length) bytes does not fit a 16-bit length (PS3.5 7.1.2)")
            }
            emit16(UInt16(length))
        }
    }

    /// `swapSize`: the numbers byte order applies to (`VR.byteSwapSize(of:bitsAllocated:)`).
    mutating func encode(_ element: DataElement, swapSize: Int) throws(DICOMError) {
        switch element.value {
        case .bytes(let bytes):
            guard bytes.count < Self.undefinedLength else {
                throw DICOMError(.unencodable, tag: element.tag, "a value of \(bytes.count) bytes is longer than a length field holds")
            }
            try emitHeader(element.tag, element.vr, length: UInt32(bytes.count))
            if bigEndian && swapSize > 1 {
                var swapped = bytes
                swapBytes(&swapped, size: swapSize)
                try emit(swapped)
            } else {
                try emit(bytes)
            }
        case .bulk(let reference):
            try emitHeader(element.tag, element.vr, length: UInt32(reference.length))
            try copy(reference, swapSize: max(swapSize, reference.swapSize), tag: element.tag)
        case .sequence(let items):
            // PS3.5 6.2.2: UN sequences are always Implicit VR Little Endian inside.
            let inner = element.vr == .UN ? (false, false) : (explicitVR, bigEndian)
            let length = element.hasUndefinedLength ? Self.undefinedLength : try checked(Self.itemsLength(items, explicitVR: inner.0), element.tag)
            try emitHeader(element.tag, element.vr, length: length)
            let outer = (explicitVR, bigEndian)
            (explicitVR, bigEndian) = inner
            for item in items {
                emitTag(.item)
                emit32(item.hasUndefinedLength ? Self.undefinedLength : try checked(Self.length(of: item.dataSet, explicitVR: explicitVR), element.tag))
                try encode(item.dataSet)
                if item.hasUndefinedLength {
                    emitTag(.itemDelimitationItem)
                    emit32(0)
                }
            }
            if element.hasUndefinedLength {
                emitTag(.sequenceDelimitationItem)
                emit32(0)
            }
            (explicitVR, bigEndian) = outer
        case .encapsulated(let pixels):
            try emitHeader(element.tag, element.vr, length: Self.undefinedLength)
            emitTag(.item)
            emit32(UInt32(pixels.basicOffsetTable.count))
            try emit(pixels.basicOffsetTable)
            for fragment in pixels.fragments {
                emitTag(.item)
                emit32(UInt32(fragment.length))
                switch fragment {
                case .bytes(let bytes): try emit(bytes)
                case .bulk(let reference): try copy(reference, swapSize: 1, tag: element.tag)
                }
            }
            emitTag(.sequenceDelimitationItem)
            emit32(0)
        }
    }

    /// Copies a value left in its file, in chunks, swapping byte order if the file's differs.
    private mutating func copy(_ reference: BulkDataReference, swapSize: Int, tag: Tag) throws(DICOMError) {
        guard let bulkData else {
            throw DICOMError(.unencodable, tag: tag, "the value was left in its file and no file to copy it from was given")
        }
        let chunk = 1 << 20 // a multiple of every swap size
        var done = 0
        while done < reference.length {
            var bytes = try bulkData.read(at: reference.offset + done, upTo: min(chunk, reference.length - done))
            if bytes.isEmpty {
                throw DICOMError(.truncated, offset: reference.offset + done, tag: tag, "\(bulkData.path) is shorter than when it was read")
            }
            if reference.isBigEndian != bigEndian { swapBytes(&bytes, size: swapSize) }
            done += bytes.count
            try emit(bytes)
        }
    }

    private func checked(_ length: Int, _ tag: Tag) throws(DICOMError) -> UInt32 {
        guard length < Int(Self.undefinedLength) else {
            throw DICOMError(.unencodable, tag: tag, "a sequence of \(length) bytes is longer than a length field holds")
        }
        return UInt32(length)
    }

    /// Encoded size of a data set, for defined-length items and group lengths.
    static func length(of dataSet: DataSet, explicitVR: Bool) -> Int {
        dataSet.elements.reduce(0) { $0 + length(of: $1, explicitVR: explicitVR) }
    }

    static func length(of element: DataElement, explicitVR: Bool) -> Int {
        let header = explicitVR && element.vr.hasLongLength ? 12 : 8
        switch element.value {
        case .bytes(let bytes): return header + bytes.count
        case .bulk(let reference): return header + reference.length
        case .sequence(let items):
            let inner = element.vr == .UN ? false : explicitVR
            return header + itemsLength(items, explicitVR: inner) + (element.hasUndefinedLength ? 8 : 0)
        case .encapsulated(let pixels):
            return header + 8 + pixels.basicOffsetTable.count + pixels.fragments.reduce(0) { $0 + 8 + $1.length } + 8
        }
    }

    static func itemsLength(_ items: [Item], explicitVR: Bool) -> Int {
        items.reduce(0) { $0 + 8 + length(of: $1.dataSet, explicitVR: explicitVR) + ($1.hasUndefinedLength ? 8 : 0) }
    }
}
