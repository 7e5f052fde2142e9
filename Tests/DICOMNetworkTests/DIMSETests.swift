import DICOM
@testable import DICOMNetwork
import NIOCore
import Testing

typealias Tag = DICOM.Tag

/// Command sets (PS3.7 E), message reassembly and fragmentation (PS3.8 annex E).
@Suite struct DIMSETests {
    /// C-ECHO-RQ, message 1, as Implicit VR Little Endian (PS3.7 9.3.5).
    static let echoRequestBytes: [UInt8] =
        [0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00]          // (0000,0000) UL 56
        + [0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00] + Array("1.2.840.10008.1.1\0".utf8) // (0000,0002) UI Verification
        + [0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00]                      // (0000,0100) US C-ECHO-RQ
        + [0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00]                      // (0000,0110) US message ID 1
        + [0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01]                      // (0000,0800) US no data set

    @Test func echoRequestGoldenBytes() throws {
        var command = CommandSet(.cEchoRequest, messageID: 1)
        command.set(.affectedSOPClassUID, uid: "1.2.840.10008.1.1")
        #expect(try command.encoded() == Self.echoRequestBytes)
        let decoded = try CommandSet(decoding: Self.echoRequestBytes)
        #expect(decoded.field == .cEchoRequest)
        #expect(decoded.messageID == 1)
        #expect(decoded.affectedSOPClassUID == "1.2.840.10008.1.1")
        #expect(!decoded.hasDataSet)
    }

    @Test func malformedCommandSetsAreRefused() {
        #expect(Self.code { try CommandSet(decoding: [0x00, 0x00, 0x00]) } == .malformedCommand)
        // An element outside group 0000.
        let stray: [UInt8] = [0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x43, 0x54]
        #expect(Self.code { try CommandSet(decoding: Self.echoRequestBytes + stray) } == .malformedCommand)
        // No command field.
        #expect(Self.code { try CommandSet(decoding: Array(Self.echoRequestBytes.prefix(12 + 26))) } == .malformedCommand)
    }

    /// The code of the DIMSEError `body` throws; nil when it throws none.
    static func code(_ body: () throws -> Any) -> DIMSEError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? DIMSEError)?.code
        }
    }

    static func pdv(_ id: UInt8, command: Bool, last: Bool, _ bytes: [UInt8]) -> PresentationDataValue {
        PresentationDataValue(presentationContextID: id, isCommand: command, isLastFragment: last, fragment: ByteBuffer(bytes: bytes))
    }

    @Test func storeMessageReassembles() throws {
        var command = CommandSet(.cStoreRequest, messageID: 7)
        command.hasDataSet = true
        let bytes = try command.encoded()
        var assembler = MessageAssembler()
        #expect(try assembler.receive(Self.pdv(3, command: true, last: false, Array(bytes.prefix(10)))) == [])
        let events = try assembler.receive(Self.pdv(3, command: true, last: true, Array(bytes.dropFirst(10))))
        #expect(events == [.command(contextID: 3, try CommandSet(decoding: bytes))])
        #expect(try assembler.receive(Self.pdv(3, command: false, last: false, [1, 2])) == [.dataFragment(contextID: 3, ByteBuffer(bytes: [1, 2]), isLast: false)])
        #expect(!assembler.isIdle)
        #expect(try assembler.receive(Self.pdv(3, command: false, last: true, [3])) == [.dataFragment(contextID: 3, ByteBuffer(bytes: [3]), isLast: true)])
        #expect(assembler.isIdle)
    }

    @Test func outOfOrderFragmentsAreProtocolErrors() throws {
        var command = CommandSet(.cStoreRequest, messageID: 7)
        command.hasDataSet = true
        let bytes = try command.encoded()
        var fresh = MessageAssembler()
        #expect(Self.code { try fresh.receive(Self.pdv(1, command: false, last: true, [1])) } == .outOfSequence)
        var midCommand = MessageAssembler()
        _ = try midCommand.receive(Self.pdv(1, command: true, last: false, Array(bytes.prefix(4))))
        #expect(Self.code { try midCommand.receive(Self.pdv(3, command: true, last: true, Array(bytes.dropFirst(4)))) } == .outOfSequence)
        var midData = MessageAssembler()
        _ = try midData.receive(Self.pdv(1, command: true, last: true, bytes))
        #expect(Self.code { try midData.receive(Self.pdv(1, command: true, last: true, bytes)) } == .outOfSequence)
        var oversized = MessageAssembler()
        #expect(Self.code { try oversized.receive(Self.pdv(1, command: true, last: false, [UInt8](repeating: 0, count: 70_000))) } == .malformedCommand)
    }

    @Test func fragmentsFitTheNegotiatedMaximum() {
        let payload = ByteBuffer(bytes: (0..<10_000).map { UInt8(truncatingIfNeeded: $0) })
        for maximum: UInt32 in [4096, 16384, 1 << 20] {
            let pdus = MessageFragmenter(maximumLength: maximum).pdus(of: payload, contextID: 5, isCommand: false)
            let fragments = pdus.flatMap(\.values)
            #expect(fragments.allSatisfy { $0.fragment.readableBytes + 6 <= Int(maximum) })
            #expect(fragments.map(\.isLastFragment) == Array(repeating: false, count: fragments.count - 1) + [true])
            var joined = ByteBuffer()
            for fragment in fragments { var copy = fragment.fragment; joined.writeBuffer(&copy) }
            #expect(joined == payload)
        }
        let unlimited = MessageFragmenter(maximumLength: 0).pdus(of: payload, contextID: 1, isCommand: true)
        #expect(unlimited.count == 1)
    }

    @Test func statusCategories() {
        #expect(DIMSEStatus.success.category == .success)
        #expect(DIMSEStatus(rawValue: 0xB007).category == .warning)
        #expect(DIMSEStatus.outOfResources.category == .failure)
        #expect(DIMSEStatus.pending.category == .pending)
        #expect(DIMSEStatus.outOfResources.description == "0xA700")
    }
}
