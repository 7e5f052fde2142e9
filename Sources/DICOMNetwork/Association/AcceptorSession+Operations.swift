import DICOM
import NIOConcurrencyHelpers
import NIOCore

/// Operations that answer with many responses (C-FIND, C-MOVE, C-GET): once the service layer
/// has gathered the request's identifier, the operation runs on a task of its own so that the
/// association keeps reading and can honour a C-CANCEL (PS3.7 9.3.2.3).
extension AcceptorSession {
    /// A request's identifier, whole: what the operation reads.
    struct IncomingIdentifier {
        let command: CommandSet
        let contextID: UInt8
        let responseField: CommandField
        let bytes: [UInt8]
        /// Larger than the service layer keeps: `bytes` is empty.
        let tooLarge: Bool

        init(_ request: ServiceLayerMachine.Request, _ identifier: [UInt8]?) {
            command = request.command
            contextID = request.contextID
            responseField = request.responseField
            bytes = identifier ?? []
            tooLarge = identifier == nil
        }
    }

    /// The operation whose responses are going out. It is stopped by a flag, not by
    /// cancelling its task: a cancelled task could not write its last response (Cancel),
    /// and a write cut short would leave half a message on the wire.
    struct RunningOperation {
        let messageID: UInt16
        let task: Task<Void, Never>
        let stop: NIOLockedValueBox<Bool>
        /// Responses the peer sends the operation (C-GET's C-STORE-RSPs).
        var responses: AsyncStream<CommandSet>.Continuation?
    }

    /// Runs the operation a whole identifier asks for; the service layer has checked its SOP
    /// class and size, Storage Commitment checks its own.
    mutating func perform(_ incoming: IncomingIdentifier) async throws {
        let command = incoming.command
        if command.field == .nActionRequest { return try await startCommitment(incoming) }
        if command.field == .nEventReportRequest { return try await receiveCommitmentReport(incoming) }
        let context = service.contexts[incoming.contextID]!
        guard let sopClass = command.affectedSOPClassUID else { return }
        guard let syntax = TransferSyntax(uid: context.transferSyntax), let keys = try? DataSet(decoding: incoming.bytes, in: syntax) else {
            // PS3.4 C.4.1.1.4: an identifier that cannot be read does not match the SOP class.
            return try await refuse(incoming, .identifierDoesNotMatchSOPClass, "the identifier cannot be read")
        }
        guard let association = request else { return }
        let query = QueryRetrieveRequest(sopClassUID: sopClass, identifier: keys, callingAETitle: association.callingAETitle,
                                         calledAETitle: association.calledAETitle, peerAddress: peerAddress)
        let sender = DIMSESender(outbound: outbound, fragmenter: MessageFragmenter(maximumLength: peerMaximumLength),
                                 contextID: incoming.contextID, transferSyntax: syntax, idle: idle)
        if command.field == .cFindRequest {
            guard let provider = services.query, provider.findSOPClasses.contains(sopClass) else {
                return try await refuse(incoming, .sopClassNotSupported, "this query model is not offered here")
            }
            startFind(incoming, query, provider: provider, sender: sender)
        } else {
            try await startRetrieve(incoming, query, sender: sender)
        }
    }

    /// Answers a request with a final failure, without starting anything.
    mutating func refuse(_ incoming: IncomingIdentifier, _ status: DIMSEStatus, _ comment: String) async throws {
        try await respond(to: incoming.command, contextID: incoming.contextID, field: incoming.responseField,
                          outcome: ServiceOutcome(status: status, errorComment: comment))
    }

    private mutating func startFind(_ incoming: IncomingIdentifier, _ find: QueryRetrieveRequest, provider: any QueryProvider, sender: DIMSESender) {
        let sopClass = find.sopClassUID
        let messageID = incoming.command.messageID ?? 0
        @Sendable func response(_ status: DIMSEStatus) -> CommandSet {
            var response = CommandSet(.cFindResponse, respondingTo: messageID)
            response.set(.affectedSOPClassUID, uid: sopClass)
            response.set(.status, status.rawValue)
            return response
        }
        let stop = NIOLockedValueBox(false)
        let task = Task {
            let outcome = await provider.find(find) { match in
                if stop.withLockedValue({ $0 }) { throw CancellationError() }
                try await sender.send(response(.pending), dataSet: match)
            }
            // PS3.4 C.4.1.2.3: after a C-CANCEL the last response says Cancel.
            let stopped = stop.withLockedValue { $0 }
            var final = response(stopped ? .cancel : outcome.status)
            if !stopped, let comment = outcome.errorComment, outcome.status.category != .success {
                final.set(errorComment: comment)
            }
            try? await sender.send(final)
        }
        start(RunningOperation(messageID: messageID, task: task, stop: stop))
    }

    /// Runs an operation on its task; the server hears when it ends (its last response gone).
    mutating func start(_ running: RunningOperation) {
        operation = running
        guard let admission else { return }
        let task = running.task
        Task {
            await task.value
            admission.registry.operationEnded(admission.ticket)
        }
    }

    /// Waits for the running operation's last response to be sent.
    mutating func finishOperation() async {
        guard let running = operation else { return }
        await running.task.value
        running.responses?.finish()
        operation = nil
        _ = service.operationFinished()
    }
}
