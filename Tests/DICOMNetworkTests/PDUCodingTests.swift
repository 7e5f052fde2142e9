@testable import DICOMNetwork
import NIOCore
import NIOTestUtils
import Testing

/// PDUs against annotated golden bytes (PS3.8 9.3), both ways, and every way a PDU can be malformed.
@Suite struct PDUCodingTests {
    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
    static func ae(_ text: String) -> [UInt8] { ascii(text) + [UInt8](repeating: 0x20, count: 16 - text.utf8.count) }

    static let requestBytes: [UInt8] =
        [0x01, 0x00, 0x00, 0x00, 0x00, 0xAE]              // A-ASSOCIATE-RQ, reserved, length 174
        + [0x00, 0x01, 0x00, 0x00]                          // protocol version 1, reserved
        + ae("LIFEBOAT") + ae("MODALITY")                   // called, calling AE titles
        + [UInt8](repeating: 0, count: 32)                  // reserved
        + [0x10, 0x00, 0x00, 0x15] + ascii("1.2.840.10008.3.1.1.1")  // application context
        + [0x20, 0x00, 0x00, 0x2E, 0x01, 0x00, 0x00, 0x00]  // presentation context 1
        + [0x30, 0x00, 0x00, 0x11] + ascii("1.2.840.10008.1.1")      //   abstract syntax: Verification
        + [0x40, 0x00, 0x00, 0x11] + ascii("1.2.840.10008.1.2")      //   transfer syntax: Implicit VR LE
        + [0x50, 0x00, 0x00, 0x1B]                          // user information
        + [0x51, 0x00, 0x00, 0x04, 0x00, 0x00, 0x40, 0x00]  //   maximum length 16384
        + [0x52, 0x00, 0x00, 0x07] + ascii("1.2.3.4")       //   implementation class UID
        + [0x55, 0x00, 0x00, 0x04] + ascii("TEST")          //   implementation version name

    static let request = AssociateRequest(
        calledAETitle: "LIFEBOAT", callingAETitle: "MODALITY",
        presentationContexts: [ProposedPresentationContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"])],
        userInformation: UserInformation(maximumLength: 16384, implementationClassUID: "1.2.3.4", implementationVersionName: "TEST"))

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static func encode(_ pdu: PDU) throws -> [UInt8] {
        var out = ByteBuffer()
        try PDUEncoder().encode(data: pdu, out: &out)
        return Array(out.readableBytesView)
    }

    static func decode(_ bytes: [UInt8], maximum: Int = 1 << 16) throws -> PDU? {
        var decoder = PDUDecoder(maximumDataLength: maximum)
        var input = buffer(bytes)
        return try decoder.decode(buffer: &input)
    }

    @Test func associateRequestGoldenBytes() throws {
        #expect(try Self.decode(Self.requestBytes) == .associateRequest(Self.request))
        #expect(try Self.encode(.associateRequest(Self.request)) == Self.requestBytes)
    }

    @Test func everyPDUThroughTheDecoderVerifier() throws {
        var fragment = ByteBuffer()
        fragment.writeBytes([1, 2, 3, 4, 5, 6, 7, 8])
        let data = PDU.data(PDataTF(values: [PresentationDataValue(presentationContextID: 1, isCommand: true, isLastFragment: true, fragment: fragment)]))
        let dataBytes: [UInt8] = [0x04, 0x00, 0x00, 0x00, 0x00, 0x0E]  // P-DATA-TF, length 14
            + [0x00, 0x00, 0x00, 0x0A, 0x01, 0x03]                       // PDV item: length 10, context 1, command + last
            + [1, 2, 3, 4, 5, 6, 7, 8]
        let reject = PDU.associateReject(AssociateReject(result: .permanent, reason: .serviceUser(.calledAETitleNotRecognized)))
        let rejectBytes: [UInt8] = [0x03, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x01, 0x07] // permanent, service user, called AE
        let abort = PDU.abort(Abort(source: .serviceProvider(.unrecognizedPDU)))
        let abortBytes: [UInt8] = [0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x02, 0x01] // provider, unrecognised PDU
        let releaseRequest: [UInt8] = [0x05, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]
        let releaseResponse: [UInt8] = [0x06, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]

        let pairs: [([UInt8], PDU)] = [
            (Self.requestBytes, .associateRequest(Self.request)), (dataBytes, data), (rejectBytes, reject),
            (abortBytes, abort), (releaseRequest, .releaseRequest), (releaseResponse, .releaseResponse),
        ]
        for (bytes, pdu) in pairs { #expect(try Self.encode(pdu) == bytes, "\(pdu.kind)") }
        // The verifier feeds the bytes whole, byte by byte and in between, and checks nothing is left.
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: pairs.map { (Self.buffer($0.0), [$0.1]) },
            decoderFactory: { PDUDecoder(maximumDataLength: 1 << 16) })
    }

    @Test func associateAcceptWithEveryUserInformationSubItem() throws {
        let info = UserInformation(
            maximumLength: 0, implementationClassUID: "2.25.1", implementationVersionName: "LIFEBOAT_0",
            asynchronousOperationsWindow: AsynchronousOperationsWindow(maximumInvoked: 1, maximumPerformed: 1),
            roleSelections: [RoleSelection(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", scuRole: true, scpRole: false)],
            extendedNegotiations: [ExtendedNegotiation(sopClassUID: "1.2.840.10008.5.1.4.1.2.2.1", serviceClassApplicationInformation: [1, 0, 1])],
            commonExtendedNegotiations: [CommonExtendedNegotiation(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", serviceClassUID: "1.2.840.10008.4.2",
                                                                   relatedGeneralSOPClassUIDs: ["1.2.840.10008.5.1.4.1.1.2.1"])],
            userIdentity: UserIdentity(kind: .usernameAndPasscode, positiveResponseRequested: true, primaryField: Self.ascii("reader"), secondaryField: Self.ascii("s3cret")),
            userIdentityResponse: Self.ascii("ok"))
        let accept = AssociateAccept(calledAETitle: "LIFEBOAT", callingAETitle: "MODALITY", presentationContexts: [
            PresentationContextResult(id: 1, result: .acceptance, transferSyntax: "1.2.840.10008.1.2.1"),
            PresentationContextResult(id: 3, result: .abstractSyntaxNotSupported, transferSyntax: "1.2.840.10008.1.2"),
        ], userInformation: info)
        let bytes = try Self.encode(.associateAccept(accept))
        #expect(try Self.decode(bytes) == .associateAccept(accept))
        #expect(bytes[0] == 0x02)
    }

    @Test func everyUserIdentityKindIsDecoded() throws {
        for kind in [UserIdentity.Kind.username, .usernameAndPasscode, .kerberos, .saml, .jwt] {
            var request = Self.request
            request.userInformation.userIdentity = UserIdentity(kind: kind, positiveResponseRequested: false, primaryField: Self.ascii("token-\(kind.rawValue)"))
            #expect(try Self.decode(try Self.encode(.associateRequest(request))) == .associateRequest(request))
        }
    }

    @Test func unknownPDUTypeIsUnrecognised() {
        let error = #expect(throws: PDUDecodingError.self) { try Self.decode([0x08, 0, 0, 0, 0, 0]) }
        #expect(error?.reason == .unrecognizedPDU)
    }

    @Test func overlongPDUIsRefusedBeforeItsBodyArrives() {
        // Only the header has arrived: a 16 MB P-DATA-TF against a 64 KiB limit is refused now.
        let error = #expect(throws: PDUDecodingError.self) { try Self.decode([0x04, 0, 0x01, 0x00, 0x00, 0x00]) }
        #expect(error?.reason == .invalidPDUParameterValue)
    }

    @Test func incompletePDUWaitsForMoreBytes() throws {
        #expect(try Self.decode(Array(Self.requestBytes.prefix(100))) == nil)
        #expect(try Self.decode([0x05, 0x00, 0x00]) == nil)
    }

    @Test func lyingLengthsAreInvalidParameters() {
        // A PDV item claiming more bytes than its PDU holds.
        let pdv: [UInt8] = [0x04, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0xFF, 0x01, 0x03, 0xAA, 0xBB]
        #expect((#expect(throws: PDUDecodingError.self) { try Self.decode(pdv) })?.reason == .invalidPDUParameterValue)
        // An item inside A-ASSOCIATE-RQ running past its PDU.
        var request = Self.requestBytes
        request[6 + 68 + 3] = 0xFF // application context length 0x15 -> 0xFF
        #expect((#expect(throws: PDUDecodingError.self) { try Self.decode(request) })?.reason == .invalidPDUParameterValue)
        // A release request of 6 bytes.
        #expect((#expect(throws: PDUDecodingError.self) { try Self.decode([0x05, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0]) })?.reason == .invalidPDUParameterValue)
        // A P-DATA-TF with no PDV, and one whose PDV is shorter than its header.
        #expect(throws: PDUDecodingError.self) { try Self.decode([0x04, 0, 0, 0, 0, 0]) }
        #expect(throws: PDUDecodingError.self) { try Self.decode([0x04, 0, 0, 0, 0, 5, 0, 0, 0, 1, 1]) }
    }

    @Test func associationPDUsWithoutRequiredItemsAreRefused() {
        // No user information item.
        var bytes = Array(Self.requestBytes.prefix(6 + 68 + 25 + 50))
        bytes[5] = UInt8(68 + 25 + 50)
        let error = #expect(throws: PDUDecodingError.self) { try Self.decode(bytes) }
        #expect(error?.message.contains("user information") == true)
        // An invalid calling AE title: all spaces.
        var blank = Self.requestBytes
        for index in (6 + 20)..<(6 + 36) { blank[index] = 0x20 }
        #expect(throws: PDUDecodingError.self) { try Self.decode(blank) }
    }

    @Test func aeTitles() {
        #expect(AETitle(validating: "  STORE_SCP  ")?.value == "STORE_SCP")
        #expect(AETitle(validating: "") == nil)
        #expect(AETitle(validating: "                ") == nil)
        #expect(AETitle(validating: "SEVENTEEN_CHARS_X") == nil)
        #expect(AETitle(validating: "BACK\\SLASH") == nil)
        #expect(AETitle(validating: "TAB\tTAB") == nil)
        #expect(AETitle(validating: "LIFEBOAT")?.field.count == 16)
    }
}
