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

    /// The same sender on another accepted context, in that context's transfer syntax.
    func on(_ context: AcceptorPolicy.AcceptedContext) -> DIMSESender {
        DIMSESender(outbound: outbound, fragmenter: fragmenter, contextID: context.id,
                    transferSyntax: TransferSyntax(uid: context.transferSyntax) ?? transferSyntax, idle: idle)
    }

    /// A command and, when given, its data set in the context's transfer syntax (PS3.7 6.3.1).
    func send(_ command: CommandSet, dataSet: DataSet? = nil) async throws {
        var command = command
        command.hasDataSet = dataSet != nil
        var pdus = fragmenter.pdus(of: ByteBuffer(bytes: try command.encoded()), contextID: contextID, isCommand: true).map(PDU.data)
        if let dataSet {
            pdus += fragmenter.pdus(of: ByteBuffer(bytes: try dataSet.encoded(in: transferSyntax)), contextID: contextID, isCommand: false).map(PDU.data)
        }
        // One write and one flush for the whole message.
        try await outbound.write(contentsOf: pdus)
        // An SCU waiting on a long answer is not idle.
        idle.touch()
    }

    /// A command whose data set is read from a Part 10 file, from `offset` (past its meta
    /// group) to the end, a MiB at a time: a C-STORE sub-operation of a C-GET.
    func send(_ command: CommandSet, dataSetOf file: OpenFile, from offset: Int) async throws {
        var position = offset
        try await send(command) {
            guard position < file.size else { return nil }
            let chunk = try file.readBuffer(at: position, upTo: 1 << 20)
            position += chunk.readableBytes
            return chunk.readableBytes > 0 ? chunk : nil
        }
    }

    /// A command whose data set comes a piece at a time from `next` (nil after the last).
    func send(_ command: CommandSet, pieces next: () throws -> ByteBuffer?) async throws {
        var command = command
        command.hasDataSet = true
        try await outbound.write(contentsOf: fragmenter.pdus(of: ByteBuffer(bytes: try command.encoded()), contextID: contextID, isCommand: true).map(PDU.data))
        try await fragmenter.sendData(contextID: contextID, from: next) { pdus in
            try await outbound.write(contentsOf: pdus.map(PDU.data))
            idle.touch()
        }
    }
}
