import DICOM

/// An application entity title (PS3.5 6.2 VR AE, PS3.8 9.3.2): up to 16 characters of
/// the default repertoire, no backslash or control characters, not all spaces; leading
/// and trailing spaces are not significant.
public struct AETitle: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let value: String

    public init?(validating text: String) {
        let trimmed = trimmedASCII(text.utf8)
        guard !trimmed.isEmpty, text.utf8.count <= 16,
              text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) else { return nil }
        value = trimmed
    }

    public init(stringLiteral text: String) {
        guard let title = AETitle(validating: text) else { preconditionFailure("\"\(text)\" is not an AE title") }
        self = title
    }

    /// The 16 bytes of a PDU field, space padded.
    var field: [UInt8] { Array(value.utf8) + [UInt8](repeating: 0x20, count: 16 - value.utf8.count) }

    public var description: String { value }
}
