@testable import DICOM

/// Builds encoded elements byte by byte, for golden-byte tests.
enum Bytes {
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { le16(UInt16(value & 0xFFFF)) + le16(UInt16(value >> 16)) }
    static func be16(_ value: UInt16) -> [UInt8] { le16(value).reversed() }
    static func be32(_ value: UInt32) -> [UInt8] { le32(value).reversed() }

    static func tag(_ group: UInt16, _ element: UInt16, bigEndian: Bool = false) -> [UInt8] {
        bigEndian ? be16(group) + be16(element) : le16(group) + le16(element)
    }

    /// An explicit VR little endian element.
    static func explicit(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
        let long = VR(rawValue: vr)?.hasLongLength ?? false
        return tag(group, element) + Array(vr.utf8) + (long ? [0, 0] + le32(UInt32(value.count)) : le16(UInt16(value.count))) + value
    }

    /// An implicit VR little endian element.
    static func implicit(_ group: UInt16, _ element: UInt16, _ value: [UInt8]) -> [UInt8] {
        tag(group, element) + le32(UInt32(value.count)) + value
    }

    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    /// A Part 10 file around an already-encoded data set.
    static func part10(transferSyntax: String, dataSet: [UInt8]) -> [UInt8] {
        var uid = Array(transferSyntax.utf8)
        if uid.count % 2 == 1 { uid.append(0) }
        let meta = explicit(0x0002, 0x0001, "OB", [0, 1]) + explicit(0x0002, 0x0010, "UI", uid)
        return [UInt8](repeating: 0, count: 128) + text("DICM") + explicit(0x0002, 0x0000, "UL", le32(UInt32(meta.count))) + meta + dataSet
    }

    static let undefined: UInt32 = 0xFFFF_FFFF
}
