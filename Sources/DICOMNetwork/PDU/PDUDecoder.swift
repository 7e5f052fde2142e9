import DICOM
import NIOCore

/// Why bytes from a peer are not a valid PDU: what PS3.8 9.3.1 and 9.3.8 say the
/// A-ABORT that follows should give as its reason.
public struct PDUDecodingError: Error, Equatable, CustomStringConvertible {
    public let reason: Abort.ProviderReason
    public let message: String

    public init(_ reason: Abort.ProviderReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}

/// Splits a byte stream into PDUs (PS3.8 9.3). A PDU longer than the limits is refused
/// before its bytes are buffered, so a peer cannot make us hold more than that.
public struct PDUDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = PDU

    /// The largest P-DATA-TF variable field accepted: what we announce as our maximum length.
    public var maximumDataLength: Int
    /// The largest variable field of any other PDU (association requests can be long).
    public var maximumAssociationLength: Int

    public init(maximumDataLength: Int, maximumAssociationLength: Int = 1 << 20) {
        self.maximumDataLength = maximumDataLength
        self.maximumAssociationLength = maximumAssociationLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> PDU? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 2, endianness: .big, as: UInt32.self) else { return nil }
        guard let kind = PDU.Kind(rawValue: type) else {
            throw PDUDecodingError(.unrecognizedPDU, "unrecognised PDU type 0x\(String(type, radix: 16))")
        }
        let limit = kind == .data ? maximumDataLength : maximumAssociationLength
        guard Int(length) <= limit else {
            throw PDUDecodingError(.invalidPDUParameterValue, "a \(kind) PDU of \(length) bytes is over the limit of \(limit)")
        }
        guard buffer.readableBytes >= 6 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 6)
        var body = buffer.readSlice(length: Int(length))!
        let pdu = try Self.parse(kind, &body)
        if body.readableBytes > 0 && kind != .associateRequest && kind != .associateAccept {
            throw PDUDecodingError(.invalidPDUParameterValue, "\(body.readableBytes) bytes left over in a \(kind) PDU")
        }
        return pdu
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> PDU? {
        // What is left of a PDU when the connection closes is dropped: the close is the event.
        try decode(buffer: &buffer)
    }

    static func parse(_ kind: PDU.Kind, _ body: inout ByteBuffer) throws -> PDU {
        switch kind {
        case .associateRequest:
            let (header, items) = (try AssociateHeader(&body), try AssociateItems(&body, accept: false))
            return .associateRequest(header.pdu(items.applicationContext, items.proposed, items.userInformation))
        case .associateAccept:
            let (header, items) = (try AssociateHeader(&body), try AssociateItems(&body, accept: true))
            return .associateAccept(header.pdu(items.applicationContext, items.results, items.userInformation))
        case .associateReject:
            let fields = try body.fixed(4, in: kind)
            guard let result = AssociateReject.Result(rawValue: fields[1]),
                  let reason = AssociateReject.Reason(source: fields[2], code: fields[3]) else {
                throw PDUDecodingError(.invalidPDUParameterValue, "A-ASSOCIATE-RJ with result \(fields[1]), source \(fields[2]), reason \(fields[3])")
            }
            return .associateReject(AssociateReject(result: result, reason: reason))
        case .data:
            var values: [PresentationDataValue] = []
            while body.readableBytes > 0 {
                guard let length = body.readInteger(endianness: .big, as: UInt32.self), length >= 2,
                      Int(length) <= body.readableBytes,
                      let id = body.readInteger(as: UInt8.self), let header = body.readInteger(as: UInt8.self) else {
                    throw PDUDecodingError(.invalidPDUParameterValue, "a presentation data value item whose length does not fit its PDU")
                }
                values.append(PresentationDataValue(presentationContextID: id, isCommand: header & 1 == 1,
                                                    isLastFragment: header & 2 == 2, fragment: body.readSlice(length: Int(length) - 2)!))
            }
            guard !values.isEmpty else { throw PDUDecodingError(.invalidPDUParameterValue, "a P-DATA-TF PDU with no presentation data value") }
            return .data(PDataTF(values: values))
        case .releaseRequest:
            _ = try body.fixed(4, in: kind)
            return .releaseRequest
        case .releaseResponse:
            _ = try body.fixed(4, in: kind)
            return .releaseResponse
        case .abort:
            let fields = try body.fixed(4, in: kind)
            switch fields[2] {
            case 0: return .abort(.byServiceUser)
            case 2:
                // An unknown reason from a peer is still an abort; read it as not specified.
                return .abort(Abort(source: .serviceProvider(Abort.ProviderReason(rawValue: fields[3]) ?? .notSpecified)))
            default:
                throw PDUDecodingError(.invalidPDUParameterValue, "A-ABORT with source \(fields[2])")
            }
        }
    }
}

/// The fixed part of A-ASSOCIATE-RQ and -AC (PS3.8 9.3.2, 9.3.3).
private struct AssociateHeader {
    let version: UInt16
    let called: AETitle
    let calling: AETitle

    init(_ body: inout ByteBuffer) throws {
        guard body.readableBytes >= 68, let version = body.readInteger(endianness: .big, as: UInt16.self) else {
            throw PDUDecodingError(.invalidPDUParameterValue, "an association PDU shorter than its fixed fields")
        }
        body.moveReaderIndex(forwardBy: 2)
        let calledBytes = body.readBytes(length: 16)!
        let callingBytes = body.readBytes(length: 16)!
        body.moveReaderIndex(forwardBy: 32)
        guard let called = AETitle(validating: String(decoding: calledBytes, as: UTF8.self)) else {
            throw PDUDecodingError(.invalidPDUParameterValue, "the called AE title is not valid")
        }
        guard let calling = AETitle(validating: String(decoding: callingBytes, as: UTF8.self)) else {
            throw PDUDecodingError(.invalidPDUParameterValue, "the calling AE title is not valid")
        }
        self.version = version
        self.called = called
        self.calling = calling
    }

    func pdu<Context>(_ applicationContext: String, _ contexts: [Context], _ info: UserInformation) -> AssociatePDU<Context> {
        AssociatePDU(protocolVersion: version, calledAETitle: called, callingAETitle: calling, applicationContext: applicationContext,
                     presentationContexts: contexts, userInformation: info)
    }
}

/// The variable items of A-ASSOCIATE-RQ and -AC (PS3.8 9.3.2.1-9.3.3.3, annex D).
private struct AssociateItems {
    var applicationContext = ""
    var proposed: [ProposedPresentationContext] = []
    var results: [PresentationContextResult] = []
    var userInformation = UserInformation(maximumLength: 0, implementationClassUID: "")

    init(_ body: inout ByteBuffer, accept: Bool) throws {
        var sawUserInformation = false
        while body.readableBytes > 0 {
            var (type, item) = try body.item(named: "association")
            switch type {
            case 0x10:
                applicationContext = item.uid()
            case 0x20 where !accept:
                proposed.append(try Self.proposedContext(&item))
            case 0x21 where accept:
                results.append(try Self.contextResult(&item))
            case 0x50:
                userInformation = try Self.userInformation(&item)
                sawUserInformation = true
            default:
                throw PDUDecodingError(.unexpectedPDUParameter, "unexpected item type 0x\(String(type, radix: 16)) in an association PDU")
            }
        }
        guard !applicationContext.isEmpty else { throw PDUDecodingError(.invalidPDUParameterValue, "no application context item") }
        guard sawUserInformation else { throw PDUDecodingError(.invalidPDUParameterValue, "no user information item (PS3.7 D.3.3)") }
    }

    static func proposedContext(_ item: inout ByteBuffer) throws -> ProposedPresentationContext {
        guard let id = item.readInteger(as: UInt8.self), item.readableBytes >= 3 else {
            throw PDUDecodingError(.invalidPDUParameterValue, "a presentation context item too short")
        }
        item.moveReaderIndex(forwardBy: 3)
        var abstractSyntax: String?
        var transferSyntaxes: [String] = []
        while item.readableBytes > 0 {
            let (type, sub) = try item.item(named: "presentation context")
            switch type {
            case 0x30 where abstractSyntax == nil: abstractSyntax = sub.uid()
            case 0x40: transferSyntaxes.append(sub.uid())
            default: throw PDUDecodingError(.unexpectedPDUParameter, "unexpected sub-item 0x\(String(type, radix: 16)) in presentation context \(id)")
            }
        }
        guard let abstractSyntax, !transferSyntaxes.isEmpty else {
            throw PDUDecodingError(.invalidPDUParameterValue, "presentation context \(id) lacks an abstract or transfer syntax")
        }
        return ProposedPresentationContext(id: id, abstractSyntax: abstractSyntax, transferSyntaxes: transferSyntaxes)
    }

    static func contextResult(_ item: inout ByteBuffer) throws -> PresentationContextResult {
        guard item.readableBytes >= 4 else { throw PDUDecodingError(.invalidPDUParameterValue, "a presentation context result too short") }
        let fields = item.readBytes(length: 4)!
        guard let result = PresentationContextResult.Result(rawValue: fields[2]) else {
            throw PDUDecodingError(.invalidPDUParameterValue, "presentation context \(fields[0]) has result \(fields[2])")
        }
        var transferSyntax = ""
        while item.readableBytes > 0 {
            let (type, sub) = try item.item(named: "presentation context result")
            guard type == 0x40 else { throw PDUDecodingError(.unexpectedPDUParameter, "unexpected sub-item 0x\(String(type, radix: 16)) in a presentation context result") }
            transferSyntax = sub.uid()
        }
        return PresentationContextResult(id: fields[0], result: result, transferSyntax: transferSyntax)
    }

    static func userInformation(_ item: inout ByteBuffer) throws -> UserInformation {
        var info = UserInformation(maximumLength: 0, implementationClassUID: "")
        while item.readableBytes > 0 {
            var (type, sub) = try item.item(named: "user information")
            switch type {
            case 0x51:
                guard sub.readableBytes == 4, let length = sub.readInteger(endianness: .big, as: UInt32.self) else {
                    throw PDUDecodingError(.invalidPDUParameterValue, "a maximum length sub-item of \(sub.readableBytes) bytes")
                }
                info.maximumLength = length
            case 0x52: info.implementationClassUID = sub.uid()
            case 0x53:
                guard sub.readableBytes == 4 else { throw PDUDecodingError(.invalidPDUParameterValue, "an asynchronous operations window of \(sub.readableBytes) bytes") }
                info.asynchronousOperationsWindow = AsynchronousOperationsWindow(
                    maximumInvoked: sub.readInteger(endianness: .big)!, maximumPerformed: sub.readInteger(endianness: .big)!)
            case 0x54:
                let uid = try sub.lengthPrefixedUID(named: "role selection")
                guard sub.readableBytes == 2 else { throw PDUDecodingError(.invalidPDUParameterValue, "a role selection without its two roles") }
                let roles = sub.readBytes(length: 2)!
                info.roleSelections.append(RoleSelection(sopClassUID: uid, scuRole: roles[0] == 1, scpRole: roles[1] == 1))
            case 0x55: info.implementationVersionName = trimmedASCII(sub.readableBytesView)
            case 0x56:
                let uid = try sub.lengthPrefixedUID(named: "extended negotiation")
                info.extendedNegotiations.append(ExtendedNegotiation(sopClassUID: uid, serviceClassApplicationInformation: Array(sub.readableBytesView)))
            case 0x57:
                let sopClass = try sub.lengthPrefixedUID(named: "common extended negotiation")
                let serviceClass = try sub.lengthPrefixedUID(named: "common extended negotiation")
                guard let total = sub.readInteger(endianness: .big, as: UInt16.self), Int(total) == sub.readableBytes else {
                    throw PDUDecodingError(.invalidPDUParameterValue, "a common extended negotiation whose related classes do not fit")
                }
                var related: [String] = []
                while sub.readableBytes > 0 { related.append(try sub.lengthPrefixedUID(named: "related general SOP class")) }
                info.commonExtendedNegotiations.append(CommonExtendedNegotiation(sopClassUID: sopClass, serviceClassUID: serviceClass, relatedGeneralSOPClassUIDs: related))
            case 0x58:
                guard let kindByte = sub.readInteger(as: UInt8.self), let kind = UserIdentity.Kind(rawValue: kindByte),
                      let positive = sub.readInteger(as: UInt8.self) else {
                    throw PDUDecodingError(.invalidPDUParameterValue, "a user identity of an unknown type")
                }
                let primary = try sub.lengthPrefixedBytes(named: "user identity")
                let secondary = try sub.lengthPrefixedBytes(named: "user identity")
                info.userIdentity = UserIdentity(kind: kind, positiveResponseRequested: positive == 1, primaryField: primary, secondaryField: secondary)
            case 0x59:
                info.userIdentityResponse = try sub.lengthPrefixedBytes(named: "user identity response")
            default:
                // PS3.7 D.3.3: unknown user information sub-items are ignored.
                break
            }
        }
        guard !info.implementationClassUID.isEmpty else {
            throw PDUDecodingError(.invalidPDUParameterValue, "no implementation class UID (PS3.7 D.3.3.2)")
        }
        return info
    }
}

extension ByteBuffer {
    /// The next item or sub-item: a type byte, a reserved byte, a 16-bit length (PS3.8 9.3.2).
    mutating func item(named context: String) throws -> (UInt8, ByteBuffer) {
        guard let type = readInteger(as: UInt8.self), readInteger(as: UInt8.self) != nil,
              let length = readInteger(endianness: .big, as: UInt16.self), let value = readSlice(length: Int(length)) else {
            throw PDUDecodingError(.invalidPDUParameterValue, "a \(context) item whose length does not fit")
        }
        return (type, value)
    }

    /// A UID value: ASCII, trailing NUL or space padding removed.
    func uid() -> String { trimmedASCII(readableBytesView) }

    mutating func lengthPrefixedBytes(named context: String) throws -> [UInt8] {
        guard let length = readInteger(endianness: .big, as: UInt16.self), let bytes = readBytes(length: Int(length)) else {
            throw PDUDecodingError(.invalidPDUParameterValue, "a \(context) sub-item whose length does not fit")
        }
        return bytes
    }

    mutating func lengthPrefixedUID(named context: String) throws -> String {
        trimmedASCII(try lengthPrefixedBytes(named: context))
    }

    /// The whole fixed-size body of a short PDU.
    mutating func fixed(_ count: Int, in kind: PDU.Kind) throws -> [UInt8] {
        guard readableBytes == count else {
            throw PDUDecodingError(.invalidPDUParameterValue, "a \(kind) PDU of \(readableBytes) bytes, not \(count)")
        }
        return readBytes(length: count)!
    }
}
