import NIOCore

/// Writes PDUs (PS3.8 9.3).
public struct PDUEncoder: MessageToByteEncoder {
    public typealias OutboundIn = PDU

    public init() {}

    public func encode(data pdu: PDU, out: inout ByteBuffer) throws {
        out.writeInteger(pdu.kind.rawValue)
        out.writeInteger(UInt8(0))
        let lengthIndex = out.writerIndex
        out.writeInteger(UInt32(0), endianness: .big)
        let start = out.writerIndex
        switch pdu {
        case .associateRequest(let request):
            Self.writeHeader(version: request.protocolVersion, called: request.calledAETitle, calling: request.callingAETitle, into: &out)
            out.writeItem(0x10) { $0.writeString(request.applicationContext) }
            for context in request.presentationContexts {
                out.writeItem(0x20) { item in
                    item.writeBytes([context.id, 0, 0, 0])
                    item.writeItem(0x30) { $0.writeString(context.abstractSyntax) }
                    for syntax in context.transferSyntaxes { item.writeItem(0x40) { $0.writeString(syntax) } }
                }
            }
            Self.write(request.userInformation, into: &out)
        case .associateAccept(let accept):
            Self.writeHeader(version: accept.protocolVersion, called: accept.calledAETitle, calling: accept.callingAETitle, into: &out)
            out.writeItem(0x10) { $0.writeString(accept.applicationContext) }
            for context in accept.presentationContexts {
                out.writeItem(0x21) { item in
                    item.writeBytes([context.id, 0, context.result.rawValue, 0])
                    item.writeItem(0x40) { $0.writeString(context.transferSyntax) }
                }
            }
            Self.write(accept.userInformation, into: &out)
        case .associateReject(let reject):
            out.writeBytes([0, reject.result.rawValue, reject.reason.source, reject.reason.code])
        case .data(let data):
            for value in data.values {
                out.writeInteger(UInt32(value.fragment.readableBytes + 2), endianness: .big)
                out.writeInteger(value.presentationContextID)
                out.writeInteger(UInt8((value.isCommand ? 1 : 0) | (value.isLastFragment ? 2 : 0)))
                out.writeImmutableBuffer(value.fragment)
            }
        case .releaseRequest, .releaseResponse:
            out.writeBytes([0, 0, 0, 0])
        case .abort(let abort):
            switch abort.source {
            case .serviceUser: out.writeBytes([0, 0, 0, 0])
            case .serviceProvider(let reason): out.writeBytes([0, 0, 2, reason.rawValue])
            }
        }
        out.setInteger(UInt32(out.writerIndex - start), at: lengthIndex, endianness: .big)
    }

    private static func writeHeader(version: UInt16, called: AETitle, calling: AETitle, into out: inout ByteBuffer) {
        out.writeInteger(version, endianness: .big)
        out.writeInteger(UInt16(0))
        out.writeBytes(called.field)
        out.writeBytes(calling.field)
        out.writeRepeatingByte(0, count: 32)
    }

    private static func write(_ info: UserInformation, into out: inout ByteBuffer) {
        out.writeItem(0x50) { item in
            item.writeItem(0x51) { $0.writeInteger(info.maximumLength, endianness: .big) }
            item.writeItem(0x52) { $0.writeString(info.implementationClassUID) }
            if let window = info.asynchronousOperationsWindow {
                item.writeItem(0x53) {
                    $0.writeInteger(window.maximumInvoked, endianness: .big)
                    $0.writeInteger(window.maximumPerformed, endianness: .big)
                }
            }
            for role in info.roleSelections {
                item.writeItem(0x54) {
                    $0.writeLengthPrefixed(Array(role.sopClassUID.utf8))
                    $0.writeBytes([role.scuRole ? 1 : 0, role.scpRole ? 1 : 0])
                }
            }
            if let name = info.implementationVersionName { item.writeItem(0x55) { $0.writeString(name) } }
            for negotiation in info.extendedNegotiations {
                item.writeItem(0x56) {
                    $0.writeLengthPrefixed(Array(negotiation.sopClassUID.utf8))
                    $0.writeBytes(negotiation.serviceClassApplicationInformation)
                }
            }
            for negotiation in info.commonExtendedNegotiations {
                item.writeItem(0x57) { sub in
                    sub.writeLengthPrefixed(Array(negotiation.sopClassUID.utf8))
                    sub.writeLengthPrefixed(Array(negotiation.serviceClassUID.utf8))
                    let related = negotiation.relatedGeneralSOPClassUIDs.map(\.utf8.count).reduce(0) { $0 + 2 + $1 }
                    sub.writeInteger(UInt16(related), endianness: .big)
                    for uid in negotiation.relatedGeneralSOPClassUIDs { sub.writeLengthPrefixed(Array(uid.utf8)) }
                }
            }
            if let identity = info.userIdentity {
                item.writeItem(0x58) {
                    $0.writeBytes([identity.kind.rawValue, identity.positiveResponseRequested ? 1 : 0])
                    $0.writeLengthPrefixed(identity.primaryField)
                    $0.writeLengthPrefixed(identity.secondaryField)
                }
            }
            if let response = info.userIdentityResponse { item.writeItem(0x59) { $0.writeLengthPrefixed(response) } }
        }
    }
}

extension ByteBuffer {
    /// An item or sub-item: type, reserved, 16-bit length, then what `body` writes.
    mutating func writeItem(_ type: UInt8, _ body: (inout ByteBuffer) -> Void) {
        writeInteger(type)
        writeInteger(UInt8(0))
        let lengthIndex = writerIndex
        writeInteger(UInt16(0), endianness: .big)
        let start = writerIndex
        body(&self)
        setInteger(UInt16(writerIndex - start), at: lengthIndex, endianness: .big)
    }

    mutating func writeLengthPrefixed(_ bytes: [UInt8]) {
        writeInteger(UInt16(bytes.count), endianness: .big)
        writeBytes(bytes)
    }
}
