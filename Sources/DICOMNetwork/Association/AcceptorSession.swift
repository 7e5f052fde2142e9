import DICOM
import Logging
import NIOCore

/// The mutable part of an association: state machine, negotiated contexts, the message
/// being assembled, the instance being stored and the operation running on its own task.
struct AcceptorSession {
    var machine = UpperLayerStateMachine(role: .acceptor)
    var assembler = MessageAssembler()
    var contexts: [UInt8: AcceptorPolicy.AcceptedContext] = [:]
    var request: AssociateRequest?
    var peerMaximumLength: UInt32 = 0
    var current: IncomingStore?
    var identifier: IncomingIdentifier?
    var operation: RunningOperation?
    /// The Message IDs of the requests taken so far, for telling a C-CANCEL that crossed its
    /// operation's last response from one that names nothing.
    var requestMessageIDs = Set<UInt16>()

    let policy: AcceptorPolicy
    let services: AssociationServices
    let peerAddress: String
    let outbound: NIOAsyncChannelOutboundWriter<PDU>
    let artim: ChannelTimer
    let idle: IdleTimer
    let timeouts: AssociationTimeouts
    let admission: AcceptorAssociation.Admission?

    init(policy: AcceptorPolicy, services: AssociationServices, peerAddress: String, outbound: NIOAsyncChannelOutboundWriter<PDU>,
         artim: ChannelTimer, idle: IdleTimer, timeouts: AssociationTimeouts, admission: AcceptorAssociation.Admission? = nil) {
        self.policy = policy
        self.services = services
        self.peerAddress = peerAddress
        self.outbound = outbound
        self.artim = artim
        self.idle = idle
        self.timeouts = timeouts
        self.admission = admission
    }

    /// A data set on its way in: to a sink, or discarded when the request was refused;
    /// the response goes out when its last fragment has arrived.
    struct IncomingStore {
        let command: CommandSet
        let contextID: UInt8
        let responseField: CommandField
        var sink: (any StoreSink)?
        var failure: ServiceOutcome?
    }

    mutating func apply(_ transition: UpperLayerStateMachine.Transition) async throws {
        for output in transition.outputs {
            switch output {
            case .connect: break // the requestor's business
            case .send(let pdu): try await outbound.write(pdu)
            case .closeConnection: outbound.finish()
            case .startARTIM: artim.start(after: timeouts.artim)
            case .stopARTIM: artim.stop()
            case .indicate(let indication): try await handle(indication)
            }
        }
    }

    private mutating func handle(_ indication: UpperLayerStateMachine.Indication) async throws {
        switch indication {
        case .associateRequest(let request):
            let who: Logger.Metadata = ["calling": "\(request.callingAETitle.value)", "called": "\(request.calledAETitle.value)", "from": "\(peerAddress)"]
            if let admission, !admission.limits.associating(admission.ticket, priority: policy.priority?(request.callingAETitle, peerAddress) ?? false) {
                admission.logger.warning("association rejected: every association slot is taken", metadata: who)
                return try await apply(try machine.reject(AssociateReject(result: .transient, reason: .serviceProviderPresentation(.localLimitExceeded))))
            }
            switch policy.negotiate(request, peerAddress: peerAddress) {
            case .success(let (accept, accepted)):
                self.request = request
                contexts = accepted
                peerMaximumLength = request.userInformation.maximumLength
                try await apply(try machine.accept(accept))
            case .failure(let reject):
                admission?.logger.warning("association rejected: \(reject)", metadata: who)
                try await apply(try machine.reject(reject))
            }
        case .data(let data):
            for value in data.values {
                do {
                    guard contexts[value.presentationContextID] != nil else {
                        throw DIMSEError(.unacceptedContext, "presentation context \(value.presentationContextID) was not accepted")
                    }
                    for event in try assembler.receive(value) { try await handle(event) }
                } catch let error as DIMSEError {
                    return try await abort(for: error)
                }
            }
        case .releaseRequested:
            // Releasing with an operation outstanding is the SCU's mistake: it is cancelled.
            await endOperations()
            try await apply(try machine.respondToRelease())
        case .aborted, .providerAborted:
            await endOperations()
        case .associateAccepted, .associateRejected, .releaseConfirmed:
            break // requestor-side confirmations
        }
    }

    private mutating func handle(_ event: MessageAssembler.Event) async throws {
        switch event {
        case .command(_, let command) where command.field == .cCancelRequest:
            // PS3.7 9.3.2.3: a C-CANCEL has no data set and names a request of this association;
            // one that names an operation already ended crossed its last response and is ignored.
            guard !command.hasDataSet, let id = command.messageIDBeingRespondedTo, requestMessageIDs.contains(id) else {
                throw DIMSEError(.unknownRequest, "a C-CANCEL that names no request of this association")
            }
            cancelOperation(command)
        case .command(_, let command) where command.field?.isResponse == true:
            // The C-STORE-RSP of a C-GET's sub-operation, for the operation waiting on it.
            operation?.responses?.yield(command)
        case .command(let contextID, let command):
            // One operation at a time (the window negotiated is 1): the next waits for it.
            await finishOperation()
            if let id = command.messageID { requestMessageIDs.insert(id) }
            if let admission { admission.registry.operationStarted(admission.ticket) }
            try await dispatch(command, contextID: contextID)
        case .dataFragment(_, let fragment, let isLast) where identifier != nil:
            receiveIdentifier(fragment)
            if isLast { try await identifierComplete() }
        case .dataFragment(_, let fragment, let isLast):
            guard var incoming = current else { return }
            if incoming.failure == nil, let sink = incoming.sink {
                do {
                    try await sink.write(fragment)
                } catch {
                    await sink.cancel()
                    incoming.sink = nil
                    incoming.failure = (error as? ServiceError)?.outcome ?? ServiceOutcome(status: .processingFailure, errorComment: "\(error)")
                }
            }
            current = incoming
            if isLast {
                current = nil
                let outcome: ServiceOutcome
                if let failure = incoming.failure {
                    outcome = failure
                } else if let sink = incoming.sink {
                    outcome = await sink.finish()
                } else {
                    outcome = ServiceOutcome(status: .processingFailure)
                }
                try await respond(to: incoming.command, contextID: incoming.contextID, field: incoming.responseField, outcome: outcome)
            }
        }
    }

    /// A DIMSE protocol violation: the service provider aborts, saying the PDU's content is
    /// invalid (PS3.8 AA-8, reason 6). (Before association, PS3.8 has AA-1: the service user.)
    private mutating func abort(for violation: any Error) async throws {
        admission?.logger.warning("association aborted: \(violation)", metadata: ["from": "\(peerAddress)"])
        await endOperations()
        try await apply(machine.protocolViolation(.invalidPDUParameterValue))
    }

    mutating func dispatch(_ command: CommandSet, contextID: UInt8) async throws {
        let context = contexts[contextID]!
        switch command.field {
        case .cEchoRequest:
            try await respond(to: command, contextID: contextID, field: .cEchoResponse, outcome: .success)
        case .cStoreRequest where command.hasDataSet:
            var incoming = IncomingStore(command: command, contextID: contextID, responseField: .cStoreResponse)
            if let sopClass = command.affectedSOPClassUID, let instance = command.affectedSOPInstanceUID, let request,
               sopClass == context.abstractSyntax {
                let storeRequest = StoreRequest(sopClassUID: sopClass, sopInstanceUID: instance, transferSyntaxUID: context.transferSyntax,
                                                callingAETitle: request.callingAETitle, calledAETitle: request.calledAETitle,
                                                messageID: command.messageID ?? 0, priority: command.priority ?? 0, peerAddress: peerAddress)
                do {
                    incoming.sink = try await services.store.beginStore(storeRequest)
                } catch {
                    incoming.failure = (error as? ServiceError)?.outcome ?? ServiceOutcome(status: .outOfResources, errorComment: "\(error)")
                }
            } else {
                // PS3.4 B.2.3: the SOP class must be the presentation context's.
                incoming.failure = ServiceOutcome(status: .sopClassNotSupported,
                                                errorComment: "the C-STORE's SOP class is not the presentation context's abstract syntax")
            }
            current = incoming
        case .cFindRequest where command.hasDataSet:
            identifier = IncomingIdentifier(command: command, contextID: contextID, responseField: .cFindResponse)
        case .cMoveRequest where command.hasDataSet:
            identifier = IncomingIdentifier(command: command, contextID: contextID, responseField: .cMoveResponse)
        case .cGetRequest where command.hasDataSet:
            identifier = IncomingIdentifier(command: command, contextID: contextID, responseField: .cGetResponse)
        case .nActionRequest where command.hasDataSet:
            identifier = IncomingIdentifier(command: command, contextID: contextID, responseField: .nActionResponse)
        case .nEventReportRequest where command.hasDataSet:
            identifier = IncomingIdentifier(command: command, contextID: contextID, responseField: .nEventReportResponse)
        default:
            // Not a service offered here: refused, and any data set that follows dropped.
            guard let field = command.field, !field.isResponse, let response = CommandField(rawValue: field.rawValue | 0x8000) else {
                return // a response or C-CANCEL with nothing outstanding: nothing to answer
            }
            let refusal = ServiceOutcome(status: .unrecognizedOperation, errorComment: "this service is not offered here")
            if command.hasDataSet {
                current = IncomingStore(command: command, contextID: contextID, responseField: response, failure: refusal)
            } else {
                try await respond(to: command, contextID: contextID, field: response, outcome: refusal)
            }
        }
    }

    /// Sends a response command set (PS3.7 9.3): no data set, the request's identifiers echoed.
    mutating func respond(to request: CommandSet, contextID: UInt8, field: CommandField, outcome: ServiceOutcome) async throws {
        var response = CommandSet(field, respondingTo: request.messageID ?? 0)
        if let sopClass = request.affectedSOPClassUID { response.set(.affectedSOPClassUID, uid: sopClass) }
        if let instance = request.affectedSOPInstanceUID { response.set(.affectedSOPInstanceUID, uid: instance) }
        response.set(.status, outcome.status.rawValue)
        if let comment = outcome.errorComment, outcome.status.category != .success {
            response.set(errorComment: comment)
        }
        let bytes = ByteBuffer(bytes: try response.encoded())
        for pdu in MessageFragmenter(maximumLength: peerMaximumLength).pdus(of: bytes, contextID: contextID, isCommand: true) {
            try await apply(try machine.sendData(pdu))
        }
        operationEnded()
    }

    /// The operation's last response has gone: the server hears so (it may be stopping).
    func operationEnded() {
        if let admission { admission.registry.operationEnded(admission.ticket) }
    }

    /// The association is ending: the instance being received is dropped and the running
    /// operation cancelled and waited for.
    mutating func endOperations() async {
        if let sink = current?.sink { await sink.cancel() }
        current = nil
        identifier = nil
        operation?.stop.withLockedValue { $0 = true }
        operation?.responses?.finish()
        await finishOperation()
    }
}
