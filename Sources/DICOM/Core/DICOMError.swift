/// Why a byte stream could not be read or written as DICOM. Always names where:
/// the byte offset in the stream (of the decoded stream, for deflated data sets) and,
/// where one was being read, the tag.
public struct DICOMError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No "DICM" prefix after a preamble, and not read leniently (PS3.10 7.1).
        case notPart10
        /// The bytes do not look like DICOM at all.
        case notDICOM
        /// The file meta information lacks something PS3.10 7.1 requires.
        case invalidFileMeta
        case unsupportedTransferSyntax
        /// The stream ends inside a header or value.
        case truncated
        /// A length points past the end of the stream or of its enclosing item.
        case lengthPastEnd
        /// An undefined length where the standard allows none, or an odd one where it matters.
        case invalidLength
        /// Two bytes where an explicit VR belongs that name no VR.
        case invalidVR
        /// A sequence or item not encoded as PS3.5 7.5 says.
        case malformedSequence
        /// Encapsulated pixel data not encoded as PS3.5 A.4 says.
        case malformedEncapsulation
        /// Sequences nested deeper than `ReadOptions.maximumNestingDepth`.
        case nestingTooDeep
        case deflate
        /// A deflated data set inflates to more than `ReadOptions.maximumInflatedLength`.
        case inflatedTooLarge
        /// A value that cannot be written in the requested encoding.
        case unencodable
        case io
    }

    public let code: Code
    public let offset: Int?
    public let tag: Tag?
    public let message: String

    public init(_ code: Code, offset: Int? = nil, tag: Tag? = nil, _ message: String) {
        self.code = code
        self.offset = offset
        self.tag = tag
        self.message = message
    }

    public var description: String {
        var place: [String] = []
        if let offset { place.append("at byte \(offset)") }
        if let tag { place.append("in \(tag)\(tag.keyword.map { " \($0)" } ?? "")") }
        return place.isEmpty ? message : "\(place.joined(separator: " ")): \(message)"
    }
}
