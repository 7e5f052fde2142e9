import DICOM
import NIOCore

/// Timeouts of an association.
public struct AssociationTimeouts: Sendable {
    /// ARTIM (PS3.8 9.1.5): how long to wait for the A-ASSOCIATE-RQ after connecting, and
    /// for the peer to close after a release, reject or abort.
    public var artim: TimeAmount
    /// How long an established association may stay silent.
    public var idle: TimeAmount

    public init(artim: TimeAmount = .seconds(30), idle: TimeAmount = .seconds(300)) {
        self.artim = artim
        self.idle = idle
    }
}

/// One association accepted by the server: reads PDUs, feeds the upper layer state
/// machine, and carries out what it returns — negotiation, DIMSE services, release,
/// abort. Reading pauses while a data set is written, so memory stays bounded.
struct AcceptorAssociation {
    let channel: NIOAsyncChannel<PDU, PDU>
    let policy: AcceptorPolicy
    let store: any StoreProvider
    let timeouts: AssociationTimeouts
    let peerAddress: String

    /// Serves the association until it ends; `onStarted` is called once its timers run.
    func run(onStarted: @Sendable () -> Void = {}) async {
        let artim = ChannelTimer(channel: channel.channel)
        let idle = IdleTimer(channel: channel.channel, timeout: timeouts.idle)
        defer {
            artim.stop()
            idle.stop()
        }
        try? await channel.executeThenClose { inbound, outbound in
            var session = Session(policy: policy, store: store, peerAddress: peerAddress, outbound: outbound, artim: artim, timeouts: timeouts)
            try await session.apply(session.machine.transportAccepted())
            onStarted()
            do {
                for try await pdu in inbound {
                    idle.touch()
                    try await session.apply(session.machine.received(pdu))
                    if session.machine.state == .sta1 { break }
                }
                let artimFired = await artim.fired
                let idleFired = idle.didFire
                let expired = artimFired || idleFired
                try await session.apply(expired ? session.machine.artimExpired() : session.machine.transportClosed())
            } catch let error as PDUDecodingError {
                try await session.apply(session.machine.receivedInvalidPDU(error))
                // Sta13: the peer should now close; the ARTIM timer closes it if not.
                try? await channel.channel.closeFuture.get()
            } catch {
                // The connection failed under us (a write to a closed socket, say): nothing to say to the peer.
                try? await channel.channel.close()
            }
            await session.cancelStore()
        }
    }
}

/// The mutable part of an association: state machine, negotiated contexts, the message
/// being assembled and the instance being stored.
private struct Session {
    var machine = UpperLayerStateMachine(role: .acceptor)
    var assembler = MessageAssembler()
    var contexts: [UInt8: AcceptorPolicy.AcceptedContext] = [:]
    var request: AssociateRequest?
    var peerMaximumLength: UInt32 = 0
    var current: IncomingStore?

    let policy: AcceptorPolicy
    let store: any StoreProvider
    let peerAddress: String
    let outbound: NIOAsyncChannelOutboundWriter<PDU>
    let artim: ChannelTimer
    let timeouts: AssociationTimeouts

    init(policy: AcceptorPolicy, store: any StoreProvider, peerAddress: String, outbound: NIOAsyncChannelOutboundWriter<PDU>,
         artim: ChannelTimer, timeouts: AssociationTimeouts) {
        self.policy = policy
        self.store = store
        self.peerAddress = peerAddress
        self.outbound = outbound
        self.artim = artim
        self.timeouts = timeouts
    }

    /// A data set on its way in: to a sink, or discarded when the request was refused;
    /// the response goes out when its last fragment has arrived.
    struct IncomingStore {
        let command: CommandSet
        let contextID: UInt8
        let responseField: CommandField
        var sink: (any StoreSink)?
        var failure: StoreOutcome?
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
            switch policy.negotiate(request) {
            case .success(let (accept, accepted)):
                self.request = request
                contexts = accepted
                peerMaximumLength = request.userInformation.maximumLength
                try await apply(try machine.accept(accept))
            case .failure(let reject):
                try await apply(try machine.reject(reject))
            }
        case .data(let data):
            for value in data.values {
                let events: [MessageAssembler.Event]
                do {
                    guard contexts[value.presentationContextID] != nil else {
                        throw DIMSEError("presentation context \(value.presentationContextID) was not accepted")
                    }
                    events = try assembler.receive(value)
                } catch {
                    // A DIMSE protocol violation: this service user aborts (PS3.7 7.5.1).
                    await cancelStore()
                    try await apply(try machine.abort())
                    return
                }
                for event in events { try await handle(event) }
            }
        case .releaseRequested:
            await cancelStore()
            try await apply(try machine.respondToRelease())
        case .aborted, .providerAborted:
            await cancelStore()
        case .associateAccepted, .associateRejected, .releaseConfirmed:
            break // requestor-side confirmations
        }
    }

    private mutating func handle(_ event: MessageAssembler.Event) async throws {
        switch event {
        case .command(let contextID, let command):
            try await dispatch(command, contextID: contextID)
        case .dataFragment(_, let fragment, let isLast):
            guard var incoming = current else { return }
            if incoming.failure == nil, let sink = incoming.sink {
                do {
                    try await sink.write(fragment)
                } catch {
                    await sink.cancel()
                    incoming.sink = nil
                    incoming.failure = (error as? StoreError)?.outcome ?? StoreOutcome(status: .processingFailure, errorComment: "\(error)")
                }
            }
            current = incoming
            if isLast {
                current = nil
                let outcome: StoreOutcome
                if let failure = incoming.failure {
                    outcome = failure
                } else if let sink = incoming.sink {
                    outcome = await sink.finish()
                } else {
                    outcome = StoreOutcome(status: .processingFailure)
                }
                try await respond(to: incoming.command, contextID: incoming.contextID, field: incoming.responseField, outcome: outcome)
            }
        }
    }

    private mutating func dispatch(_ command: CommandSet, contextID: UInt8) async throws {
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
                    incoming.sink = try await store.beginStore(storeRequest)
                } catch {
                    incoming.failure = (error as? StoreError)?.outcome ?? StoreOutcome(status: .outOfResources, errorComment: "\(error)")
                }
            } else {
                // PS3.4 B.2.3: the SOP class must be the presentation context's.
                incoming.failure = StoreOutcome(status: .sopClassNotSupported,
                                                errorComment: "the C-STORE's SOP class is not the presentation context's abstract syntax")
            }
            current = incoming
        default:
            // Not a service offered here: refused, and any data set that follows dropped.
            guard let field = command.field, !field.isResponse, let response = CommandField(rawValue: field.rawValue | 0x8000) else {
                return // a response or C-CANCEL with nothing outstanding: nothing to answer
            }
            let refusal = StoreOutcome(status: .unrecognizedOperation, errorComment: "this service is not offered here")
            if command.hasDataSet {
                current = IncomingStore(command: command, contextID: contextID, responseField: response, failure: refusal)
            } else {
                try await respond(to: command, contextID: contextID, field: response, outcome: refusal)
            }
        }
    }

    /// Sends a response command set (PS3.7 9.3): no data set, the request's identifiers echoed.
    private mutating func respond(to request: CommandSet, contextID: UInt8, field: CommandField, outcome: StoreOutcome) async throws {
        var response = CommandSet(field, respondingTo: request.messageID ?? 0)
        if let sopClass = request.affectedSOPClassUID { response.set(.affectedSOPClassUID, uid: sopClass) }
        if let instance = request.affectedSOPInstanceUID { response.set(.affectedSOPInstanceUID, uid: instance) }
        response.set(.status, outcome.status.rawValue)
        if let comment = outcome.errorComment, outcome.status.category != .success {
            response.set(.errorComment, string: String(comment.prefix(64)), vr: .LO)
        }
        let bytes = ByteBuffer(bytes: try response.encoded())
        for pdu in MessageFragmenter(maximumLength: peerMaximumLength).pdus(of: bytes, contextID: contextID, isCommand: true) {
            try await apply(try machine.sendData(pdu))
        }
    }

    mutating func cancelStore() async {
        if let sink = current?.sink { await sink.cancel() }
        current = nil
    }
}
