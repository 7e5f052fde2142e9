// A fuzz target for everything that reads bytes from a DICOM peer: the PDU decoder, the
// upper-layer state machine, acceptor negotiation, DIMSE reassembly and command sets.
// Built by Fuzz/run-pdu.sh with `-sanitize=fuzzer -DFUZZING`, main hands control to
// libFuzzer; in an ordinary build it replays the files named on the command line, so a
// crash libFuzzer found can be run again under the debugger.
import DICOMNetwork
import Foundation
import NIOCore

/// Every input must end in PDUs or a typed error: never a crash, a hang or an unbounded
/// allocation. Whatever decodes must encode and decode back to the same PDU.
func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    var buffer = ByteBuffer(bytes: bytes)
    var decoder = PDUDecoder(maximumDataLength: 16 * 1024, maximumAssociationLength: 64 * 1024)
    var machine = UpperLayerStateMachine(role: .acceptor)
    _ = machine.transportAccepted()
    var assembler = MessageAssembler()
    let policy = AcceptorPolicy(aeTitle: "LIFEBOAT")
    while true {
        let pdu: PDU
        do {
            guard let next = try decoder.decode(buffer: &buffer) else { return }
            pdu = next
        } catch let error as PDUDecodingError {
            _ = machine.receivedInvalidPDU(error)
            return
        } catch {
            fatalError("the decoder threw an untyped error: \(error)")
        }
        checkRoundTrip(pdu)
        _ = machine.received(pdu)
        switch pdu {
        case .associateRequest(let request):
            if case .success(let (accept, _)) = policy.negotiate(request) { checkRoundTrip(.associateAccept(accept)) }
        case .data(let data):
            for value in data.values {
                guard let events = try? assembler.receive(value) else { return }
                for case .command(_, let command) in events { _ = try? command.encoded() }
            }
        default:
            break
        }
    }
}

func checkRoundTrip(_ pdu: PDU) {
    var encoded = ByteBuffer()
    do { try PDUEncoder().encode(data: pdu, out: &encoded) } catch { fatalError("a decoded PDU did not encode: \(error)") }
    var decoder = PDUDecoder(maximumDataLength: Int(UInt32.max), maximumAssociationLength: Int(UInt32.max))
    let again: PDU?
    do { again = try decoder.decode(buffer: &encoded) } catch { fatalError("an encoded PDU did not decode: \(error)\n\(pdu)") }
    guard again == pdu else { fatalError("a PDU changed on a round trip:\n\(pdu)\n\(String(describing: again))") }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
})
#else
let paths = CommandLine.arguments.dropFirst()
if paths.isEmpty {
    FileHandle.standardError.write(Data("usage: PDUFuzz FILE... (replays inputs; Fuzz/run-pdu.sh fuzzes)\n".utf8))
    exit(2)
}
for path in paths {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("PDUFuzz: cannot read \(path)\n".utf8))
        exit(1)
    }
    data.withUnsafeBytes(fuzzOne)
    print("\(path): ok")
}
#endif
