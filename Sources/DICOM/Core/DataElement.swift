/// One data element: a tag, its VR and its value (PS3.5 7.1).
///
/// Numeric values are held in little-endian byte order whatever the transfer
/// syntax they were read from; the writer swaps them back for big endian.
public struct DataElement: Sendable, Equatable {
    public var tag: Tag
    public var vr: VR
    public var value: ElementValue
    /// Whether a sequence was encoded with undefined length (PS3.5 7.5.1); kept so a
    /// file that is read is written back byte for byte.
    public var hasUndefinedLength: Bool

    public init(tag: Tag, vr: VR, value: ElementValue, hasUndefinedLength: Bool = false) {
        self.tag = tag
        self.vr = vr
        self.value = value
        self.hasUndefinedLength = hasUndefinedLength
    }

    /// A binary or string element from its raw little-endian bytes.
    public init(tag: Tag, vr: VR, bytes: [UInt8]) {
        self.init(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// A sequence of items.
    public init(tag: Tag, items: [Item], hasUndefinedLength: Bool = true) {
        self.init(tag: tag, vr: .SQ, value: .sequence(items), hasUndefinedLength: hasUndefinedLength)
    }

    /// The raw bytes when the value is held in memory.
    public var bytes: [UInt8]? {
        if case .bytes(let bytes) = value { return bytes }
        return nil
    }

    /// The items when the value is a sequence.
    public var items: [Item]? {
        if case .sequence(let items) = value { return items }
        return nil
    }
}

/// What a data element holds.
public enum ElementValue: Sendable, Equatable {
    /// The value bytes, padding included, numbers in little-endian order.
    case bytes([UInt8])
    /// A value left in its source and not loaded (see `ReadOptions.bulkDataThreshold`).
    case bulk(BulkDataReference)
    /// The items of a sequence (VR SQ, or UN with undefined length, PS3.5 6.2.2).
    case sequence([Item])
    /// Encapsulated pixel data: a basic offset table and fragments (PS3.5 A.4).
    case encapsulated(EncapsulatedPixelData)
}

/// One item of a sequence: a nested data set (PS3.5 7.5.2).
public struct Item: Sendable, Equatable {
    public var dataSet: DataSet
    public var hasUndefinedLength: Bool

    public init(dataSet: DataSet, hasUndefinedLength: Bool = true) {
        self.dataSet = dataSet
        self.hasUndefinedLength = hasUndefinedLength
    }
}

/// Compressed pixel data as it was encapsulated: never decoded here (PS3.5 A.4).
public struct EncapsulatedPixelData: Sendable, Equatable {
    /// The first item's value: the basic offset table, often empty.
    public var basicOffsetTable: [UInt8]
    public var fragments: [Fragment]
    /// Where the whole value — its items and the sequence delimiter — lies in the file it was
    /// read from, when it was read from one: what a bulk data URI names. Not part of equality.
    public var fileRange: BulkDataReference?

    public init(basicOffsetTable: [UInt8] = [], fragments: [Fragment], fileRange: BulkDataReference? = nil) {
        self.basicOffsetTable = basicOffsetTable
        self.fragments = fragments
        self.fileRange = fileRange
    }

    public static func == (a: Self, b: Self) -> Bool { a.basicOffsetTable == b.basicOffsetTable && a.fragments == b.fragments }

    public enum Fragment: Sendable, Equatable {
        case bytes([UInt8])
        case bulk(BulkDataReference)

        public var length: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .bulk(let reference): reference.length
            }
        }
    }
}

/// Where an unloaded value lives in the file it was read from.
public struct BulkDataReference: Sendable, Equatable, Hashable {
    /// Byte offset of the value (after its header) in the source file.
    public var offset: Int
    public var length: Int
    /// Whether the bytes at `offset` are big-endian (and so need swapping, `swapSize` bytes a
    /// number, when they are read as little endian).
    public var isBigEndian: Bool
    /// The size of the numbers byte order applies to (`VR.byteSwapSize(of:bitsAllocated:)`).
    public var swapSize: Int

    public init(offset: Int, length: Int, isBigEndian: Bool = false, swapSize: Int = 1) {
        self.offset = offset
        self.length = length
        self.isBigEndian = isBigEndian
        self.swapSize = swapSize
    }

    /// Bytes read from this value (from a number's start), in little endian.
    public func littleEndian(_ bytes: [UInt8]) -> [UInt8] {
        guard isBigEndian else { return bytes }
        var swapped = bytes
        swapBytes(&swapped, size: swapSize)
        return swapped
    }
}
