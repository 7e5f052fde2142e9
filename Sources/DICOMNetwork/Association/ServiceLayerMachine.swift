import NIOCore

/// The DIMSE service layer of an accepted association as a value (PS3.7 9.3, 10.3): each event
/// — a presentation data value, a store that failed or was written, an operation that ended,
/// the idle limit, the association ending — returns the actions the session carries out, in
/// order. No I/O happens here, so C-CANCEL at every point and the idle abort are tested
/// without a socket (ServiceLayerMachineTests); `AcceptorSession` does the I/O.
///
/// Operations run one at a time: the asynchronous operations window is never negotiated, so
/// a request that arrives while one runs waits for its last response (PS3.7 D.3.3.3).
struct ServiceLayerMachine: Sendable {
    /// A request being answered: its command, context, and the response's command field.
    struct Request: Sendable, Equatable {
        let command: CommandSet
        let contextID: UInt8
        let responseField: CommandField
    }

    enum Action: Sendable, Equatable {
        /// Wait until the running operation has sent its last response.
        case awaitOperation
        /// A request was taken: the server counts it as in progress until its last response.
        case requestTaken
        /// Open the archive's sink for a C-STORE's data set.
        case beginStore(Request)
        /// Write a fragment of the data set to the sink; after the last, the session says
        /// `lastFragmentWritten()`, or `storeFailed` if the write failed.
        case write(ByteBuffer, isLast: Bool)
        /// Finish the store and answer with what the sink says of it.
        case finishStore(Request)
        /// Drop the data set the sink holds (the store failed, or the association ends).
        case dropStore
        /// Answer a request with a final response, starting nothing.
        case respond(Request, ServiceOutcome)
        /// A request's identifier (or action or event information) is whole: run the
        /// operation. `identifier` is nil when it was larger than the layer keeps.
        case perform(Request, identifier: [UInt8]?)
        /// A response from the peer (a C-GET sub-operation's C-STORE-RSP) for the running operation.
        case forward(CommandSet)
        /// Stop the running operation: its last response says Cancel (PS3.7 9.3.2.3).
        case stopOperation
        /// The association ends: the store is dropped, the operation stopped and waited for.
        case endOperations
        /// A DIMSE violation: the service provider aborts (PS3.8 AA-8, reason 6).
        case abort(DIMSEError)
        /// The peer was silent for the idle limit: this service user aborts (A-ABORT, PS3.8 Evt15).
        case abortIdle
    }

    /// An identifier is small (keys, not images): a larger one is refused, not buffered.
    static let maximumIdentifierLength = 1 << 20
    /// A Storage Commitment request or report lists instances: 4 MiB holds some 25,000.
    static let maximumCommitmentLength = 4 << 20

    /// The message whose data set is arriving.
    private enum Message: Sendable, Equatable {
        case none
        /// Going to the sink; `last` once its last fragment was handed to the session.
        case store(Request, last: Bool)
        /// Dropped as it arrives, then answered with the refusal.
        case refused(Request, ServiceOutcome)
        /// Gathered whole (nil once too large), then performed.
        case identifier(Request, [UInt8]?)
    }

    /// The presentation contexts the association accepted, by ID.
    let contexts: [UInt8: AcceptorPolicy.AcceptedContext]
    private var assembler = MessageAssembler()
    private var message = Message.none
    /// The Message ID of the operation running on its own task, if any.
    private(set) var runningOperation: UInt16?
    /// The Message IDs of the requests taken so far, for telling a C-CANCEL that crossed its
    /// operation's last response from one that names nothing.
    private var requestIDs = Set<UInt16>()
    /// Aborted, released or closed: nothing more is done.
    private(set) var hasEnded = false

    init(contexts: [UInt8: AcceptorPolicy.AcceptedContext]) { self.contexts = contexts }

    // MARK: Events

    /// A presentation data value of a P-DATA-TF (PS3.8 9.3.5).
    mutating func received(_ value: PresentationDataValue) -> [Action] {
        guard !hasEnded else { return [] }
        guard contexts[value.presentationContextID] != nil else {
            return violation(DIMSEError(.unacceptedContext, "presentation context \(value.presentationContextID) was not accepted"))
        }
        let events: [MessageAssembler.Event]
        do {
            events = try assembler.receive(value)
        } catch let error as DIMSEError {
            return violation(error)
        } catch {
            return violation(DIMSEError(.malformedCommand, "\(error)"))
        }
        var actions: [Action] = []
        for event in events where !hasEnded {
            switch event {
            case .command(let contextID, let command): actions += receivedCommand(command, contextID: contextID)
            case .dataFragment(_, let fragment, let isLast): actions += receivedData(fragment, isLast: isLast)
            }
        }
        return actions
    }

    /// Opening the sink or writing to it failed: the rest of the data set is dropped, and the
    /// request answered with `outcome` once it has all arrived.
    mutating func storeFailed(_ outcome: ServiceOutcome) -> [Action] {
        switch message {
        case .store(let request, last: false):
            message = .refused(request, outcome)
            return [.dropStore]
        case .store(let request, last: true):
            message = .none
            return [.dropStore, .respond(request, outcome)]
        default:
            return []
        }
    }

    /// The data set's last fragment is in the sink: the store is finished and answered.
    mutating func lastFragmentWritten() -> [Action] {
        guard case .store(let request, last: true) = message else { return [] }
        message = .none
        return [.finishStore(request)]
    }

    /// The running operation sent its last response.
    mutating func operationFinished() -> [Action] {
        runningOperation = nil
        return []
    }

    /// The peer sent nothing for the idle limit.
    mutating func idleExpired() -> [Action] {
        guard !hasEnded else { return [] }
        end()
        return [.endOperations, .abortIdle]
    }

    /// A-RELEASE indication, or the association aborted or closed: an operation still
    /// outstanding is the SCU's mistake and is cancelled.
    mutating func associationEnding() -> [Action] {
        guard !hasEnded else { return [] }
        end()
        return [.endOperations]
    }

    // MARK: Decisions

    private mutating func end() {
        hasEnded = true
        message = .none
        runningOperation = nil
    }

    private mutating func violation(_ error: DIMSEError) -> [Action] {
        end()
        return [.endOperations, .abort(error)]
    }

    private mutating func receivedCommand(_ command: CommandSet, contextID: UInt8) -> [Action] {
        if command.field == .cCancelRequest {
            // PS3.7 9.3.2.3: a C-CANCEL has no data set and names a request of this association;
            // one that names an operation already ended crossed its last response and is ignored.
            guard !command.hasDataSet, let id = command.messageIDBeingRespondedTo, requestIDs.contains(id) else {
                return violation(DIMSEError(.unknownRequest, "a C-CANCEL that names no request of this association"))
            }
            return runningOperation == id ? [.stopOperation] : []
        }
        if command.field?.isResponse == true {
            // A C-GET sub-operation's C-STORE-RSP, for the operation waiting on it.
            return runningOperation == nil ? [] : [.forward(command)]
        }
        var actions: [Action] = runningOperation == nil ? [] : [.awaitOperation]
        runningOperation = nil
        if let id = command.messageID { requestIDs.insert(id) }
        actions.append(.requestTaken)
        return actions + dispatch(command, contextID: contextID)
    }

    private mutating func dispatch(_ command: CommandSet, contextID: UInt8) -> [Action] {
        let context = contexts[contextID]!
        func request(_ field: CommandField) -> Request { Request(command: command, contextID: contextID, responseField: field) }
        switch command.field {
        case .cEchoRequest:
            return [.respond(request(.cEchoResponse), .success)]
        case .cStoreRequest where command.hasDataSet:
            let store = request(.cStoreResponse)
            guard command.affectedSOPClassUID == context.abstractSyntax, command.affectedSOPInstanceUID != nil else {
                // PS3.4 B.2.3: the SOP class must be the presentation context's.
                message = .refused(store, ServiceOutcome(status: .sopClassNotSupported,
                                                         errorComment: "the C-STORE's SOP class is not the presentation context's abstract syntax"))
                return []
            }
            message = .store(store, last: false)
            return [.beginStore(store)]
        case .cFindRequest where command.hasDataSet:
            message = .identifier(request(.cFindResponse), [])
        case .cMoveRequest where command.hasDataSet:
            message = .identifier(request(.cMoveResponse), [])
        case .cGetRequest where command.hasDataSet:
            message = .identifier(request(.cGetResponse), [])
        case .nActionRequest where command.hasDataSet:
            message = .identifier(request(.nActionResponse), [])
        case .nEventReportRequest where command.hasDataSet:
            message = .identifier(request(.nEventReportResponse), [])
        default:
            // Not a service offered here: refused, and any data set that follows dropped.
            guard let field = command.field, let response = CommandField(rawValue: field.rawValue | 0x8000) else { return [] }
            let refusal = ServiceOutcome(status: .unrecognizedOperation, errorComment: "this service is not offered here")
            guard command.hasDataSet else { return [.respond(request(response), refusal)] }
            message = .refused(request(response), refusal)
        }
        return []
    }

    private mutating func receivedData(_ fragment: ByteBuffer, isLast: Bool) -> [Action] {
        switch message {
        case .none:
            return [] // the data set of a command answered already (a C-ECHO's, a response's)
        case .store(let request, _):
            message = .store(request, last: isLast)
            return [.write(fragment, isLast: isLast)]
        case .refused(let request, let outcome):
            guard isLast else { return [] }
            message = .none
            return [.respond(request, outcome)]
        case .identifier(let request, var bytes):
            let commitment = request.responseField == .nActionResponse || request.responseField == .nEventReportResponse
            let limit = commitment ? Self.maximumCommitmentLength : Self.maximumIdentifierLength
            if bytes != nil, bytes!.count + fragment.readableBytes <= limit {
                bytes! += fragment.readableBytesView
            } else {
                bytes = nil
            }
            guard isLast else {
                message = .identifier(request, bytes)
                return []
            }
            message = .none
            return identifierComplete(request, bytes, commitment: commitment)
        }
    }

    private mutating func identifierComplete(_ request: Request, _ bytes: [UInt8]?, commitment: Bool) -> [Action] {
        if !commitment {
            // Storage Commitment checks its own SOP class and size (PS3.7 10.1.4, 10.1.1).
            guard request.command.affectedSOPClassUID == contexts[request.contextID]?.abstractSyntax else {
                return [.respond(request, ServiceOutcome(status: .sopClassNotSupported, errorComment: "the SOP class is not the presentation context's"))]
            }
            guard bytes != nil else {
                return [.respond(request, ServiceOutcome(status: .unableToProcess, errorComment: "the identifier is larger than 1 MiB"))]
            }
        }
        runningOperation = request.command.messageID ?? 0
        return [.perform(request, identifier: bytes)]
    }
}
