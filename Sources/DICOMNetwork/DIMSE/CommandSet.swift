import DICOM

/// DIMSE command fields (PS3.7 E.1-1).
public enum CommandField: UInt16, Sendable {
    case cStoreRequest = 0x0001, cStoreResponse = 0x8001
    case cGetRequest = 0x0010, cGetResponse = 0x8010
    case cFindRequest = 0x0020, cFindResponse = 0x8020
    case cMoveRequest = 0x0021, cMoveResponse = 0x8021
    case cEchoRequest = 0x0030, cEchoResponse = 0x8030
    case nEventReportRequest = 0x0100, nEventReportResponse = 0x8100
    case nGetRequest = 0x0110, nGetResponse = 0x8110
    case nSetRequest = 0x0120, nSetResponse = 0x8120
    case nActionRequest = 0x0130, nActionResponse = 0x8130
    case nCreateRequest = 0x0140, nCreateResponse = 0x8140
    case nDeleteRequest = 0x0150, nDeleteResponse = 0x8150
    case cCancelRequest = 0x0FFF

    public var isResponse: Bool { rawValue & 0x8000 != 0 }
}

/// Tags of the command group (PS3.7 E.1-1).
public extension Tag {
    static let commandGroupLength = Tag(0x0000, 0x0000)
    static let affectedSOPClassUID = Tag(0x0000, 0x0002)
    static let requestedSOPClassUID = Tag(0x0000, 0x0003)
    static let commandField = Tag(0x0000, 0x0100)
    static let messageID = Tag(0x0000, 0x0110)
    static let messageIDBeingRespondedTo = Tag(0x0000, 0x0120)
    static let moveDestination = Tag(0x0000, 0x0600)
    static let priority = Tag(0x0000, 0x0700)
    static let commandDataSetType = Tag(0x0000, 0x0800)
    static let status = Tag(0x0000, 0x0900)
    static let offendingElement = Tag(0x0000, 0x0901)
    static let errorComment = Tag(0x0000, 0x0902)
    static let errorID = Tag(0x0000, 0x0903)
    static let affectedSOPInstanceUID = Tag(0x0000, 0x1000)
    static let requestedSOPInstanceUID = Tag(0x0000, 0x1001)
    static let eventTypeID = Tag(0x0000, 0x1002)
    static let actionTypeID = Tag(0x0000, 0x1008)
    static let numberOfRemainingSuboperations = Tag(0x0000, 0x1020)
    static let numberOfCompletedSuboperations = Tag(0x0000, 0x1021)
    static let numberOfFailedSuboperations = Tag(0x0000, 0x1022)
    static let numberOfWarningSuboperations = Tag(0x0000, 0x1023)
    static let moveOriginatorApplicationEntityTitle = Tag(0x0000, 0x1030)
    static let moveOriginatorMessageID = Tag(0x0000, 0x1031)
}

/// Why a DIMSE message cannot be used: the association is aborted (PS3.8 7.3.1), or a
/// Storage Commitment data set is answered with an error status.
public struct DIMSEError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The command set is not group 0000 in Implicit VR Little Endian with a known
        /// command field, or is longer than the archive reads (PS3.7 6.3, E.1).
        case malformedCommand
        /// Fragments out of order: data before its command's last fragment, a command inside
        /// another, data on another context (PS3.7 6.3.1, PS3.8 E.2).
        case outOfSequence
        /// A fragment on a presentation context the association did not accept (PS3.8 9.3.5).
        case unacceptedContext
        /// A C-CANCEL that names no request of this association (PS3.7 9.3.2.3).
        case unknownRequest
        /// A Storage Commitment request or report without an attribute it must have (PS3.4 J.3.2, J.3.3).
        case malformedCommitment
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A DIMSE command set: group 0000 in Implicit VR Little Endian, its group length first
/// (PS3.7 6.3.1, E.1).
public struct CommandSet: Sendable, Equatable {
    public private(set) var dataSet: DataSet

    /// (0000,0800): 0x0101 means no data set follows; anything else means one does.
    public static let noDataSet: UInt16 = 0x0101

    public init(_ field: CommandField, messageID: UInt16? = nil, respondingTo request: UInt16? = nil) {
        dataSet = DataSet()
        set(.commandField, field.rawValue)
        if let messageID { set(.messageID, messageID) }
        if let request { set(.messageIDBeingRespondedTo, request) }
        set(.commandDataSetType, Self.noDataSet)
    }

    public init(decoding bytes: [UInt8]) throws {
        do {
            dataSet = try DataSet(decoding: bytes)
        } catch {
            throw DIMSEError(.malformedCommand, "the command set is not a valid Implicit VR Little Endian data set: \(error)")
        }
        guard dataSet.elements.allSatisfy({ $0.tag.group == 0x0000 }) else { throw DIMSEError(.malformedCommand, "the command set holds elements outside group 0000") }
        guard field != nil else { throw DIMSEError(.malformedCommand, "the command set has no known command field") }
    }

    /// The bytes, group length brought up to date.
    public func encoded() throws -> [UInt8] {
        var body = dataSet
        body[.commandGroupLength] = nil
        var full = body
        full[.commandGroupLength] = DataElement(tag: .commandGroupLength, vr: .UL, integers: [UInt32(body.encodedLength(explicitVR: false))])
        return try full.encoded()
    }

    public var field: CommandField? { uint16(.commandField).flatMap(CommandField.init(rawValue:)) }
    public var messageID: UInt16? { uint16(.messageID) }
    public var messageIDBeingRespondedTo: UInt16? { uint16(.messageIDBeingRespondedTo) }
    public var status: UInt16? { uint16(.status) }
    public var priority: UInt16? { uint16(.priority) }
    public var affectedSOPClassUID: String? { dataSet.uid(.affectedSOPClassUID) }
    public var affectedSOPInstanceUID: String? { dataSet.uid(.affectedSOPInstanceUID) }
    public var requestedSOPClassUID: String? { dataSet.uid(.requestedSOPClassUID) }
    public var requestedSOPInstanceUID: String? { dataSet.uid(.requestedSOPInstanceUID) }
    public var errorComment: String? { try? dataSet.string(.errorComment) }

    public var hasDataSet: Bool {
        get { uint16(.commandDataSetType) != Self.noDataSet }
        set { set(.commandDataSetType, newValue ? 0x0000 : Self.noDataSet) }
    }

    public func uint16(_ tag: Tag) -> UInt16? {
        (try? dataSet[tag]?.binary(UInt16.self))??.first
    }

    public mutating func set(_ tag: Tag, _ value: UInt16) {
        dataSet[tag] = DataElement(tag: tag, vr: .US, integers: [value])
    }

    public mutating func set(_ tag: Tag, uid: String) {
        dataSet[tag] = DataElement(tag: tag, vr: .UI, strings: [uid])
    }

    /// The Error Comment of a response: an LO, so 64 characters at most (PS3.7 C.4.2.1.4).
    public mutating func set(errorComment: String) {
        set(.errorComment, string: String(errorComment.prefix(64)), vr: .LO)
    }

    public mutating func set(_ tag: Tag, string: String, vr: VR) {
        dataSet[tag] = DataElement(tag: tag, vr: vr, strings: [string])
    }
}
