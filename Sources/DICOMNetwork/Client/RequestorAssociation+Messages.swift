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

    /// A message begun but not yet whole: its command, and the data set's bytes so far.
    struct PartialMessage {
        let contextID: UInt8
        let command: CommandSet
        var bytes: [UInt8] = []
    }

    /// Reads until one whole message has arrived; nil once `deadline` has passed first (what
    /// arrived of a message is kept for the next call).
    func receiveMessage(before deadline: ContinuousClock.Instant?) async throws -> Message? {
        while true {
            if let message = try assembleMessage() { return message }
            guard try await readEvents(before: deadline) else { return nil }
        }
    }

    /// Receives until one whole message has arrived. A Storage Commitment report that comes
    /// meanwhile (the SCP may send it whenever it likes) is taken and answered on the way.
    func receiveMessage() async throws -> Message {
        while true {
            guard let message = try await receiveMessage(before: nil) else { continue }
            guard Self.isCommitmentReport(message) else { return message }
            let result = try await takeReport(message)
            earlyReports[result.transactionUID] = result
        }
    }

    /// The next whole message out of the events already read, if they hold one.
    func assembleMessage() throws -> Message? {
        while !pendingEvents.isEmpty {
            switch pendingEvents.removeFirst() {
            case .command(let contextID, let received):
                guard partial == nil else { throw AssociationError.protocolError("a command arrived before the last one's data set") }
                guard received.hasDataSet else { return Message(contextID: contextID, command: received, dataSet: nil) }
                partial = PartialMessage(contextID: contextID, command: received)
            case .dataFragment(let contextID, let fragment, let isLast):
                guard var message = partial, message.contextID == contextID else {
                    throw AssociationError.protocolError("a data set arrived without its command")
                }
                message.bytes += fragment.readableBytesView
                guard message.bytes.count <= Self.maximumReceivedDataSet else {
                    throw AssociationError.protocolError("a data set larger than \(Self.maximumReceivedDataSet >> 20) MiB")
                }
                partial = isLast ? nil : message
                if isLast { return Message(contextID: contextID, command: message.command, dataSet: message.bytes) }
            }
        }
        return nil
    }

    /// Feeds a P-DATA-TF's values to the message assembler.
    func assemble(_ data: PDataTF) throws {
        for value in data.values {
            do {
                pendingEvents += try assembler.receive(value)
            } catch {
                throw AssociationError.protocolError("\(error)")
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

    /// Reads one PDU and what it carries; false once `deadline` has passed without one.
    private func readEvents(before deadline: ContinuousClock.Instant?) async throws -> Bool {
        guard let transition = try await nextTransition(before: deadline) else { return false }
        for indication in try await carryOut(transition) {
            switch indication {
            case .data(let data): try assemble(data)
            case .aborted: throw AssociationError.aborted(.serviceUser)
            case .providerAborted(let reason): throw AssociationError.aborted(.serviceProvider(reason))
            case .releaseRequested: throw AssociationError.protocolError("the acceptor asked to release mid-operation")
            default: break
            }
        }
        return true
    }
}
