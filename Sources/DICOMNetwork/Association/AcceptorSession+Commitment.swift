import DICOM
import NIOConcurrencyHelpers
import NIOCore

/// Storage Commitment as SCP (PS3.4 J.3.3): an N-ACTION-RQ is answered at once, then the
/// provider decides what it keeps, and the N-EVENT-REPORT-RQ with its answer goes back over
/// this association, waiting for the SCU's N-EVENT-REPORT-RSP.
extension AcceptorSession {
    /// How long the report waits for the SCU's N-EVENT-REPORT-RSP.
    static let reportResponseTimeout: Duration = .seconds(30)

    mutating func startCommitment(_ incoming: IncomingIdentifier) async throws {
        let command = incoming.command
        let context = contexts[incoming.contextID]!
        func refuse(_ status: UInt16, _ comment: String) async throws {
            try await respondToAction(command, contextID: incoming.contextID, status: DIMSEStatus(rawValue: status), comment: comment)
        }
        guard let provider = services.commitment, context.abstractSyntax == StorageCommitment.sopClassUID,
              command.requestedSOPClassUID == StorageCommitment.sopClassUID else {
            return try await refuse(DIMSEStatus.sopClassNotSupported.rawValue, "no N-ACTION is offered for this SOP class")
        }
        // PS3.7 C.5.x: 0x0112 no such SOP instance, 0x0123 no such action, 0x0115 invalid argument value.
        guard command.requestedSOPInstanceUID == StorageCommitment.sopInstanceUID else {
            return try await refuse(0x0112, "the Storage Commitment SOP instance is \(StorageCommitment.sopInstanceUID)")
        }
        guard command.uint16(.actionTypeID) == StorageCommitment.requestActionType else {
            return try await refuse(0x0123, "the only action is 1, Request Storage Commitment")
        }
        guard !incoming.tooLarge, let syntax = TransferSyntax(uid: context.transferSyntax),
              let dataSet = try? DataSet(decoding: incoming.bytes, in: syntax) else {
            return try await refuse(0x0115, "the action information cannot be read")
        }
        let request: StorageCommitment.Request
        do {
            request = try StorageCommitment.Request(dataSet: dataSet)
        } catch {
            return try await refuse(0x0115, error.message)
        }
        guard let caller = self.request?.callingAETitle else { return }
        try await respondToAction(command, contextID: incoming.contextID, status: .success, comment: nil)

        let sender = DIMSESender(outbound: outbound, fragmenter: MessageFragmenter(maximumLength: peerMaximumLength),
                                 contextID: incoming.contextID, transferSyntax: syntax, idle: idle)
        let stop = NIOLockedValueBox(false)
        let (responses, continuation) = AsyncStream.makeStream(of: CommandSet.self)
        let messageID = command.messageID ?? 0
        let address = peerAddress
        let task = Task {
            let result = await provider.commit(request, from: caller, address: address)
            // Released or aborted meanwhile: there is no association left to report on.
            guard !stop.withLockedValue({ $0 }) else { return }
            var report = CommandSet(.nEventReportRequest, messageID: messageID)
            report.set(.affectedSOPClassUID, uid: StorageCommitment.sopClassUID)
            report.set(.affectedSOPInstanceUID, uid: StorageCommitment.sopInstanceUID)
            report.set(.eventTypeID, result.eventType.rawValue)
            do {
                try await sender.send(report, dataSet: result.dataSet)
            } catch {
                return
            }
            // The SCU's N-EVENT-REPORT-RSP, or the end of the association, or the timeout.
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await response in responses where response.field == .nEventReportResponse && response.messageIDBeingRespondedTo == messageID {
                        return
                    }
                }
                group.addTask { try? await Task.sleep(for: Self.reportResponseTimeout) }
                await group.next()
                group.cancelAll()
            }
        }
        operation = RunningOperation(messageID: messageID, task: task, stop: stop, responses: continuation)
    }

    /// N-ACTION-RSP (PS3.7 10.1.4.1.2): the affected SOP class and instance are the requested ones.
    private mutating func respondToAction(_ request: CommandSet, contextID: UInt8, status: DIMSEStatus, comment: String?) async throws {
        var response = CommandSet(.nActionResponse, respondingTo: request.messageID ?? 0)
        if let sopClass = request.requestedSOPClassUID { response.set(.affectedSOPClassUID, uid: sopClass) }
        if let instance = request.requestedSOPInstanceUID { response.set(.affectedSOPInstanceUID, uid: instance) }
        if status == .success, let action = request.uint16(.actionTypeID) { response.set(.actionTypeID, action) }
        response.set(.status, status.rawValue)
        if let comment, status.category != .success { response.set(errorComment: comment) }
        let bytes = ByteBuffer(bytes: try response.encoded())
        for pdu in MessageFragmenter(maximumLength: peerMaximumLength).pdus(of: bytes, contextID: contextID, isCommand: true) {
            try await apply(try machine.sendData(pdu))
        }
    }
}
