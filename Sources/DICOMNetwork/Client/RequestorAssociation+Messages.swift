import DICOM
import NIOCore

/// Whole DIMSE messages as they arrive on a requested association: a command and, when it
/// says one follows, its data set (PS3.7 6.3.1).
extension RequestorAssociation {
    /// A received message.
    struct Message {
        let contextID: UInt8
        let command: CommandSet
        /// The data set's bytes, in the context's transfer syntax.
        let dataSet: [UInt8]?
    }

    /// The largest data set a response or report may carry here: identifiers and commitment
    /// reports, never images.
    static let maximumReceivedDataSet = 16 << 20

    /// Reads until one whole message has arrived.
    func receiveMessage() async throws -> Message {
        var command: (contextID: UInt8, CommandSet)?
        var bytes: [UInt8] = []
        while true {
            let event = try await nextEvent()
            switch event {
            case .command(let contextID, let received):
                guard command == nil else { throw AssociationError.protocolError("a command arrived before the last one's data set") }
                guard received.hasDataSet else { return Message(contextID: contextID, command: received, dataSet: nil) }
                command = (contextID, received)
            case .dataFragment(let contextID, let fragment, let isLast):
                guard let (expected, received) = command, expected == contextID else {
                    throw AssociationError.protocolError("a data set arrived without its command")
                }
                bytes += fragment.readableBytesView
                guard bytes.count <= Self.maximumReceivedDataSet else {
                    throw AssociationError.protocolError("a data set larger than \(Self.maximumReceivedDataSet >> 20) MiB")
                }
                if isLast { return Message(contextID: contextID, command: received, dataSet: bytes) }
            }
        }
    }

    /// The data set of a message, decoded in its context's transfer syntax.
    func decode(_ message: Message) throws -> DataSet? {
        guard let bytes = message.dataSet else { return nil }
        guard let syntax = accepted[message.contextID].flatMap({ TransferSyntax(uid: $0.transferSyntax) }) else {
            throw AssociationError.protocolError("a data set on presentation context \(message.contextID), which was not accepted")
        }
        do {
            return try DataSet(decoding: bytes, in: syntax)
        } catch {
            throw AssociationError.protocolError("a data set that cannot be read: \(error)")
        }
    }

    /// Sends a command and its data set, encoded in the context's transfer syntax.
    func send(_ command: CommandSet, dataSet: DataSet, contextID: UInt8) async throws {
        var command = command
        command.hasDataSet = true
        guard let syntax = accepted[contextID].flatMap({ TransferSyntax(uid: $0.transferSyntax) }) else {
            throw AssociationError.noAcceptedContext("presentation context \(contextID)")
        }
        try await sendCommand(command, contextID: contextID)
        try await sendData(fragmenter.pdus(of: ByteBuffer(bytes: try dataSet.encoded(in: syntax)), contextID: contextID, isCommand: false))
    }

    private func nextEvent() async throws -> MessageAssembler.Event {
        while pendingEvents.isEmpty {
            for indication in try await carryOut(try await nextTransition()) {
                switch indication {
                case .data(let data):
                    for value in data.values {
                        do {
                            pendingEvents += try assembler.receive(value)
                        } catch {
                            throw AssociationError.protocolError("\(error)")
                        }
                    }
                case .aborted: throw AssociationError.aborted(.serviceUser)
                case .providerAborted(let reason): throw AssociationError.aborted(.serviceProvider(reason))
                case .releaseRequested: throw AssociationError.protocolError("the acceptor asked to release mid-operation")
                default: break
                }
            }
        }
        return pendingEvents.removeFirst()
    }
}
