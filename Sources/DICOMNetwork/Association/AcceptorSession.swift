import DICOM
import Logging
import NIOCore

/// The I/O of an association: it feeds the upper layer machine (PS3.8) and the service layer
/// machine (PS3.7) and carries out what they return — PDUs, timers, the archive's sink, the
/// operation running on its own task.
struct AcceptorSession {
    var machine = UpperLayerStateMachine(role: .acceptor)
    var service = ServiceLayerMachine(contexts: [:])
    var request: AssociateRequest?
    var peerMaximumLength: UInt32 = 0
    /// Where the C-STORE's data set being received goes.
    var sink: (any StoreSink)?
    var operation: RunningOperation?

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
                service = ServiceLayerMachine(contexts: accepted)
                peerMaximumLength = request.userInformation.maximumLength
                try await apply(try machine.accept(accept))
            case .failure(let reject):
                admission?.logger.warning("association rejected: \(reject)", metadata: who)
                try await apply(try machine.reject(reject))
            }
        case .data(let data):
            for value in data.values where !service.hasEnded {
                try await run(service.received(value))
            }
        case .releaseRequested:
            try await run(service.associationEnding())
            try await apply(try machine.respondToRelease())
        case .aborted, .providerAborted:
            try await run(service.associationEnding())
        case .associateAccepted, .associateRejected, .releaseConfirmed:
            break // requestor-side confirmations
        }
    }

    /// The peer said nothing for the idle limit: in an established association the service
    /// layer aborts it, through the upper layer machine (Evt15, AA-1: A-ABORT, then ARTIM).
    mutating func idleExpired() async throws {
        guard machine.state == .sta6 else { return } // before association and while closing, ARTIM rules
        try await run(service.idleExpired())
    }

    /// Carries out the service layer's actions in order.
    mutating func run(_ actions: [ServiceLayerMachine.Action]) async throws {
        for action in actions {
            switch action {
            case .awaitOperation:
                await finishOperation()
            case .requestTaken:
                if let admission { admission.registry.operationStarted(admission.ticket) }
            case .beginStore(let store):
                try await beginStore(store)
            case .write(let fragment, let isLast):
                do {
                    try await sink?.write(fragment)
                } catch {
                    return try await run(service.storeFailed((error as? ServiceError)?.outcome ?? ServiceOutcome(status: .processingFailure, errorComment: "\(error)")))
                }
                if isLast { try await run(service.lastFragmentWritten()) }
            case .finishStore(let store):
                let outcome = await sink?.finish() ?? ServiceOutcome(status: .processingFailure)
                sink = nil
                try await respond(to: store.command, contextID: store.contextID, field: store.responseField, outcome: outcome)
            case .dropStore:
                await sink?.cancel()
                sink = nil
            case .respond(let request, let outcome):
                try await respond(to: request.command, contextID: request.contextID, field: request.responseField, outcome: outcome)
            case .perform(let request, let identifier):
                try await perform(IncomingIdentifier(request, identifier))
            case .forward(let response):
                operation?.responses?.yield(response)
            case .stopOperation:
                operation?.stop.withLockedValue { $0 = true }
            case .endOperations:
                await endOperations()
            case .abort(let violation):
                // PS3.8 AA-8, reason 6: the PDU's content is invalid. (Before association, PS3.8 has AA-1.)
                admission?.logger.warning("association aborted: \(violation)", metadata: ["from": "\(peerAddress)"])
                try await apply(machine.protocolViolation(.invalidPDUParameterValue))
            case .abortIdle:
                admission?.logger.notice("association aborted: silent for \(timeouts.idle)", metadata: ["from": "\(peerAddress)"])
                try await apply(try machine.abort())
            }
        }
    }

    /// Opens the archive's sink for a C-STORE whose SOP class the service layer has checked.
    private mutating func beginStore(_ store: ServiceLayerMachine.Request) async throws {
        let command = store.command
        let context = service.contexts[store.contextID]!
        guard let request, let sopClass = command.affectedSOPClassUID, let instance = command.affectedSOPInstanceUID else { return }
        let storeRequest = StoreRequest(sopClassUID: sopClass, sopInstanceUID: instance, transferSyntaxUID: context.transferSyntax,
                                        callingAETitle: request.callingAETitle, calledAETitle: request.calledAETitle,
                                        messageID: command.messageID ?? 0, priority: command.priority ?? 0, peerAddress: peerAddress)
        do {
            sink = try await services.store.beginStore(storeRequest)
        } catch {
            try await run(service.storeFailed((error as? ServiceError)?.outcome ?? ServiceOutcome(status: .outOfResources, errorComment: "\(error)")))
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
    /// operation stopped and waited for.
    mutating func endOperations() async {
        await sink?.cancel()
        sink = nil
        operation?.stop.withLockedValue { $0 = true }
        operation?.responses?.finish()
        await finishOperation()
    }
}
