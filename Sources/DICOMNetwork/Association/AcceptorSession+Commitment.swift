import DICOM
import NIOConcurrencyHelpers
import NIOCore

/// Storage Commitment (PS3.4 J.3). As SCP: an N-ACTION-RQ is answered at once, then the
/// provider decides what it keeps, and the N-EVENT-REPORT-RQ with its answer goes back over
/// this association, waiting for the SCU's N-EVENT-REPORT-RSP — or, when the SCU has
/// released or does not answer, to the provider to send on an association of its own. As
/// SCU: a report an SCP sends on an association it opened is taken here.
extension AcceptorSession {
    /// How long the report waits for the SCU's N-EVENT-REPORT-RSP.
    static let reportResponseTimeout: Duration = .seconds(30)

    mutating func startCommitment(_ incoming: IncomingIdentifier) async throws {
        let command = incoming.command
        let context = service.contexts[incoming.contextID]!
        func refuse(_ status: UInt16, _ comment: String) async throws {
            try await respondToAction(command, contextID: incoming.contextID, status: DIMSEStatus(rawValue: status), comment: comment)
            operationEnded()
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
            // Released or aborted meanwhile: the report goes on an association of our own.
            guard !stop.withLockedValue({ $0 }) else { return await provider.undelivered(result, to: caller, address: address) }
            var report = CommandSet(.nEventReportRequest, messageID: messageID)
            report.set(.affectedSOPClassUID, uid: StorageCommitment.sopClassUID)
            report.set(.affectedSOPInstanceUID, uid: StorageCommitment.sopInstanceUID)
            report.set(.eventTypeID, result.eventType.rawValue)
            do {
                try await sender.send(report, dataSet: result.dataSet)
            } catch {
                return await provider.undelivered(result, to: caller, address: address)
            }
            // The SCU's N-EVENT-REPORT-RSP, or the end of the association, or the timeout.
            let answered = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await response in responses where response.field == .nEventReportResponse && response.messageIDBeingRespondedTo == messageID {
                        // A failure status says the SCU did not take it (PS3.7 10.1.1.1.8).
                        return [.success, .warning].contains(DIMSEStatus(rawValue: response.status ?? 0x0110).category)
                    }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: Self.reportResponseTimeout)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            // Unanswered or refused, it was not taken: it goes again on an association of our own.
            if !answered { await provider.undelivered(result, to: caller, address: address) }
        }
        start(RunningOperation(messageID: messageID, task: task, stop: stop, responses: continuation))
    }

    /// A report an SCP sends on an association it opened (PS3.4 J.3.3.1.3): checked, handed to
    /// the receiver — which keeps it — and answered with N-EVENT-REPORT-RSP.
    mutating func receiveCommitmentReport(_ incoming: IncomingIdentifier) async throws {
        let command = incoming.command
        let context = service.contexts[incoming.contextID]!
        func answer(_ status: DIMSEStatus, _ comment: String?) async throws {
            defer { operationEnded() }
            var response = CommandSet(.nEventReportResponse, respondingTo: command.messageID ?? 0)
            response.set(.affectedSOPClassUID, uid: command.affectedSOPClassUID ?? context.abstractSyntax)
            if let instance = command.affectedSOPInstanceUID { response.set(.affectedSOPInstanceUID, uid: instance) }
            if let event = command.uint16(.eventTypeID) { response.set(.eventTypeID, event) }
            response.set(.status, status.rawValue)
            if let comment, status.category != .success { response.set(errorComment: comment) }
            try await sendCommand(response, contextID: incoming.contextID)
        }
        guard let receiver = services.commitmentReports, context.abstractSyntax == StorageCommitment.sopClassUID,
              command.affectedSOPClassUID == StorageCommitment.sopClassUID else {
            return try await answer(.sopClassNotSupported, "no N-EVENT-REPORT is taken for this SOP class")
        }
        // PS3.7 10.1.1.1.8: 0x0112 no such SOP instance, 0x0113 no such event type, 0x0115 invalid argument value.
        guard command.affectedSOPInstanceUID == StorageCommitment.sopInstanceUID else {
            return try await answer(StorageCommitment.ReportStatus.noSuchSOPInstance, "the Storage Commitment SOP instance is \(StorageCommitment.sopInstanceUID)")
        }
        guard let event = command.uint16(.eventTypeID), StorageCommitment.EventType(rawValue: event) != nil else {
            return try await answer(StorageCommitment.ReportStatus.noSuchEventType, "the event types are 1 and 2 (PS3.4 J.3.3)")
        }
        guard !incoming.tooLarge, let syntax = TransferSyntax(uid: context.transferSyntax),
              let dataSet = try? DataSet(decoding: incoming.bytes, in: syntax) else {
            return try await answer(StorageCommitment.ReportStatus.invalidArgumentValue, "the event information cannot be read")
        }
        let result: StorageCommitment.Result
        do {
            result = try StorageCommitment.Result(dataSet: dataSet)
        } catch {
            return try await answer(StorageCommitment.ReportStatus.invalidArgumentValue, error.message)
        }
        guard let caller = request?.callingAETitle else { return }
        let outcome = await receiver.received(result, from: caller, address: peerAddress)
        try await answer(outcome.status, outcome.errorComment)
    }

    /// A command set without a data set, through the state machine.
    private mutating func sendCommand(_ command: CommandSet, contextID: UInt8) async throws {
        let bytes = ByteBuffer(bytes: try command.encoded())
        for pdu in MessageFragmenter(maximumLength: peerMaximumLength).pdus(of: bytes, contextID: contextID, isCommand: true) {
            try await apply(try machine.sendData(pdu))
        }
    }

    /// N-ACTION-RSP (PS3.7 10.1.4.1.2): the affected SOP class and instance are the requested ones.
    private mutating func respondToAction(_ request: CommandSet, contextID: UInt8, status: DIMSEStatus, comment: String?) async throws {
        var response = CommandSet(.nActionResponse, respondingTo: request.messageID ?? 0)
        if let sopClass = request.requestedSOPClassUID { response.set(.affectedSOPClassUID, uid: sopClass) }
        if let instance = request.requestedSOPInstanceUID { response.set(.affectedSOPInstanceUID, uid: instance) }
        if status == .success, let action = request.uint16(.actionTypeID) { response.set(.actionTypeID, action) }
        response.set(.status, status.rawValue)
        if let comment, status.category != .success { response.set(errorComment: comment) }
        try await sendCommand(response, contextID: contextID)
    }
}
