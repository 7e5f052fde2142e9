/// Why a value could not be read as the type asked for.
public struct DICOMValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Specific Character Set names a character set this platform cannot decode.
        case unsupportedCharacterSet
        /// The bytes are not valid in the declared character set.
        case undecodable
        /// The text is not a valid value of its VR (an IS of "1A", a DA of "2020-01-01").
        case invalidValue
        /// The value is held as bulk data or a sequence, not as bytes.
        case notInMemory
        /// The value's length does not fit its VR (a US of 3 bytes).
        case invalidLength
    }

    public let code: Code
    public let tag: Tag?
    public let message: String

    public init(_ code: Code, tag: Tag? = nil, _ message: String) {
        self.code = code
        self.tag = tag
        self.message = message
    }

    public var description: String {
        guard let tag else { return message }
        return "\(tag)\(tag.keyword.map { " \($0)" } ?? ""): \(message)"
    }
}
