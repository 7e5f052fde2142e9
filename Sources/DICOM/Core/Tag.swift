/// A data element tag: group and element number (PS3.5 7.1).
public struct Tag: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ group: UInt16, _ element: UInt16) {
        rawValue = UInt32(group) << 16 | UInt32(element)
    }

    public var group: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    public var element: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Private data elements live in odd groups other than 0001, 0003, 0005, 0007 and FFFF (PS3.5 7.8.1).
    public var isPrivate: Bool {
        group & 1 == 1 && ![0x0001, 0x0003, 0x0005, 0x0007, 0xFFFF].contains(group)
    }

    /// A private creator element (gggg,0010-00FF) reserves a block of a private group (PS3.5 7.8.1).
    public var isPrivateCreator: Bool { isPrivate && (0x0010...0x00FF).contains(element) }

    /// Group length elements (gggg,0000); all but the file meta group's are retired (PS3.5 7.2).
    public var isGroupLength: Bool { element == 0 }

    /// Item, item delimitation and sequence delimitation tags (PS3.5 7.5).
    public var isDelimiter: Bool { group == 0xFFFE }

    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `(0010,0010)`, the way dcmdump and the standard print tags.
    public var description: String { "(\(hex4(group)),\(hex4(element)))" }

    /// `00100010`, the key of the DICOM JSON model (PS3.18 F.2.1.1).
    public var hexString: String { hex4(group) + hex4(element) }

    /// Parses `00100010`, `0010,0010` or `(0010,0010)`.
    public init?(hexString text: String) {
        let digits = text.filter { $0.isHexDigit }
        let stripped = text.filter { !"(), ".contains($0) }
        guard digits.count == 8, stripped.count == 8, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(rawValue: value)
    }
}

func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
}

extension Tag {
    // PS3.5 7.5: the three tags of sequence encoding.
    public static let item = Tag(0xFFFE, 0xE000)
    public static let itemDelimitationItem = Tag(0xFFFE, 0xE00D)
    public static let sequenceDelimitationItem = Tag(0xFFFE, 0xE0DD)

    // Every other attribute's constant is generated from the dictionary: Tag+Generated.swift.

    /// The three pixel data elements (PS3.3 C.7.6.3); a header-only read stops at the first of them.
    public var isPixelData: Bool { self == .pixelData || self == .floatPixelData || self == .doubleFloatPixelData }
}
