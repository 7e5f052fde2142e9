import DICOM
import NIOCore

/// Sends DIMSE messages on one presentation context from a task of its own — the pending
/// responses of a C-FIND while the association keeps reading (for a C-CANCEL). It writes
/// P-DATA-TF PDUs straight to the channel: in Sta6 sending data is DT-1 and changes no
/// state (PS3.8 table 9-10), and the session waits for the operation to end before it
/// makes any other transition.
struct DIMSESender: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<PDU>
    let fragmenter: MessageFragmenter
    let contextID: UInt8
    let transferSyntax: TransferSyntax
    let idle: IdleTimer

    /// A command and, when given, its data set in the context's transfer syntax (PS3.7 6.3.1).
    func send(_ command: CommandSet, dataSet: DataSet? = nil) async throws {
        var command = command
        command.hasDataSet = dataSet != nil
        for pdu in fragmenter.pdus(of: ByteBuffer(bytes: try command.encoded()), contextID: contextID, isCommand: true) {
            try await outbound.write(.data(pdu))
        }
        if let dataSet {
            let bytes = try dataSet.encoded(in: transferSyntax)
            for pdu in fragmenter.pdus(of: ByteBuffer(bytes: bytes), contextID: contextID, isCommand: false) {
                try await outbound.write(.data(pdu))
            }
        }
        // An SCU waiting on a long answer is not idle.
        idle.touch()
    }
}
