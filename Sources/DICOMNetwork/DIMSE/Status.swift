/// DIMSE status codes (PS3.7 annex C, PS3.4 B.2.3 for C-STORE).
public struct DIMSEStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = DIMSEStatus(rawValue: 0x0000)
    public static let pending = DIMSEStatus(rawValue: 0xFF00)
    /// C-FIND: matches are continuing, but optional keys were not supported (PS3.4 C.4.1.1.4).
    public static let pendingWithUnsupportedKeys = DIMSEStatus(rawValue: 0xFF01)
    /// C-FIND/C-MOVE/C-GET: identifier does not match SOP class (PS3.4 C.4.1.1.4).
    public static let identifierDoesNotMatchSOPClass = DIMSEStatus(rawValue: 0xA900)
    /// C-MOVE/C-GET: refused, out of resources, unable to perform sub-operations (PS3.4 C.4.2.1.5).
    public static let unableToPerformSubOperations = DIMSEStatus(rawValue: 0xA702)
    /// C-MOVE: refused, move destination unknown (PS3.4 C.4.2.1.5).
    public static let moveDestinationUnknown = DIMSEStatus(rawValue: 0xA801)
    /// C-MOVE/C-GET: sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.5).
    public static let subOperationsCompleteWithFailures = DIMSEStatus(rawValue: 0xB000)
    /// C-FIND/C-MOVE/C-GET: unable to process (PS3.4 C.4.1.1.4, 0xCxxx).
    public static let unableToProcess = DIMSEStatus(rawValue: 0xC000)
    public static let cancel = DIMSEStatus(rawValue: 0xFE00)
    /// C-STORE: out of resources (PS3.4 B.2.3).
    public static let outOfResources = DIMSEStatus(rawValue: 0xA700)
    /// C-STORE: data set does not match SOP class.
    public static let dataSetDoesNotMatchSOPClass = DIMSEStatus(rawValue: 0xA900)
    /// C-STORE: cannot understand.
    public static let cannotUnderstand = DIMSEStatus(rawValue: 0xC000)
    /// PS3.7 C.5.4: coercion of data elements (a warning).
    public static let coercionOfDataElements = DIMSEStatus(rawValue: 0xB000)
    /// PS3.7 C.4.2: processing failure.
    public static let processingFailure = DIMSEStatus(rawValue: 0x0110)
    /// PS3.7 C.5.9: duplicate SOP instance.
    public static let duplicateSOPInstance = DIMSEStatus(rawValue: 0x0111)
    /// PS3.7 C.4.11: SOP class not supported.
    public static let sopClassNotSupported = DIMSEStatus(rawValue: 0x0122)
    /// PS3.7 C.5.21: the peer is not authorized for the operation.
    public static let notAuthorized = DIMSEStatus(rawValue: 0x0124)
    /// PS3.7 C.4.10: unrecognized operation.
    public static let unrecognizedOperation = DIMSEStatus(rawValue: 0x0211)
    /// PS3.7 C.4.15: mistyped argument.
    public static let mistypedArgument = DIMSEStatus(rawValue: 0x0212)

    public enum Category: Sendable { case success, warning, failure, cancel, pending }

    /// PS3.7 C.1: what kind of status the code is.
    public var category: Category {
        switch rawValue {
        case 0x0000: .success
        case 0x0001, 0x0107, 0x0116, 0xB000...0xBFFF: .warning
        case 0xFE00: .cancel
        case 0xFF00, 0xFF01: .pending
        default: .failure
        }
    }

    public var description: String { "0x" + String(rawValue, radix: 16, uppercase: true).leftPadded(to: 4) }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
