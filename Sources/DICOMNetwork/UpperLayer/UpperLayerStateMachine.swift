/// The DICOM upper layer protocol machine (PS3.8 9.2) as a value: each event method
/// looks up the action of table 9-10, moves to the next state and returns what the
/// channel handler must do. No I/O happens here, so every state/event pair is testable
/// without a socket.
public struct UpperLayerStateMachine: Sendable {
    public enum Role: Sendable { case requestor, acceptor }

    /// What carrying out an action asks of the transport and the local user.
    public enum Output: Sendable, Equatable {
        /// AE-1: open the transport connection.
        case connect
        case send(PDU)
        case closeConnection
        case startARTIM
        case stopARTIM
        case indicate(Indication)
    }

    /// Primitives issued to the local service user (PS3.8 7).
    public enum Indication: Sendable, Equatable {
        /// A-ASSOCIATE indication: the acceptor's user decides.
        case associateRequest(AssociateRequest)
        /// A-ASSOCIATE confirmation, accepted or rejected.
        case associateAccepted(AssociateAccept)
        case associateRejected(AssociateReject)
        case data(PDataTF)
        /// A-RELEASE indication (also in a release collision).
        case releaseRequested
        case releaseConfirmed
        /// A-ABORT indication: the peer's user aborted.
        case aborted
        /// A-P-ABORT indication: a provider aborted, with why.
        case providerAborted(Abort.ProviderReason)
    }

    public struct Transition: Sendable, Equatable {
        /// The action table 9-10 names; nil where the table has no cell (an event that
        /// cannot occur in the state, such as a PDU with no connection).
        public let action: UpperLayerAction?
        public let outputs: [Output]
    }

    /// A local primitive issued in a state that does not allow it: a bug in the caller.
    public struct InvalidPrimitive: Error, Equatable, CustomStringConvertible {
        public let event: UpperLayerEvent
        public let state: UpperLayerState
        public var description: String { "\(event) is not allowed in \(state)" }
    }

    public let role: Role
    public private(set) var state: UpperLayerState
    /// The request of Evt1, sent by AE-2 once connected.
    private var pendingRequest: AssociateRequest?

    public init(role: Role) {
        self.role = role
        state = .sta1
    }

    /// For tests: a machine already in `state`.
    init(role: Role, state: UpperLayerState, pendingRequest: AssociateRequest? = nil) {
        self.role = role
        self.state = state
        self.pendingRequest = pendingRequest
    }

    // MARK: Events from the local user (PS3.8 table 9-2)

    /// Evt1: A-ASSOCIATE request.
    public mutating func requestAssociation(_ request: AssociateRequest) throws(InvalidPrimitive) -> Transition {
        try local(.evt1) { $0.pendingRequest = request }
    }

    /// Evt7: the user accepts the association.
    public mutating func accept(_ accept: AssociateAccept) throws(InvalidPrimitive) -> Transition {
        try local(.evt7, pdu: .associateAccept(accept))
    }

    /// Evt8: the user rejects the association.
    public mutating func reject(_ reject: AssociateReject) throws(InvalidPrimitive) -> Transition {
        try local(.evt8, pdu: .associateReject(reject))
    }

    /// Evt9: P-DATA request.
    public mutating func sendData(_ data: PDataTF) throws(InvalidPrimitive) -> Transition {
        try local(.evt9, pdu: .data(data))
    }

    /// Evt11: A-RELEASE request.
    public mutating func requestRelease() throws(InvalidPrimitive) -> Transition { try local(.evt11) }

    /// Evt14: A-RELEASE response.
    public mutating func respondToRelease() throws(InvalidPrimitive) -> Transition { try local(.evt14) }

    /// Evt15: A-ABORT request.
    public mutating func abort() throws(InvalidPrimitive) -> Transition { try local(.evt15) }

    private mutating func local(_ event: UpperLayerEvent, pdu: PDU? = nil, prepare: (inout Self) -> Void = { _ in }) throws(InvalidPrimitive) -> Transition {
        guard let action = StateTable.action(for: event, in: state) else { throw InvalidPrimitive(event: event, state: state) }
        prepare(&self)
        return perform(action, pdu: pdu, reason: .notSpecified)
    }

    // MARK: Events from the transport and the peer

    /// Evt2: the transport connection the requestor asked for is open.
    public mutating func transportConnected() -> Transition { fire(.evt2) }

    /// Evt5: a peer connected to the acceptor.
    public mutating func transportAccepted() -> Transition { fire(.evt5) }

    /// Evt17: the transport connection closed.
    public mutating func transportClosed() -> Transition { fire(.evt17) }

    /// Evt18: the ARTIM timer expired.
    public mutating func artimExpired() -> Transition { fire(.evt18) }

    /// Evt19: bytes that are not a valid PDU.
    public mutating func receivedInvalidPDU(_ error: PDUDecodingError) -> Transition { fire(.evt19, reason: error.reason) }

    /// Evt19 too: a PDU whose content breaks the protocol (a P-DATA-TF on a presentation context
    /// never accepted, a message that is not DIMSE) is an invalid PDU: the service provider
    /// aborts with `reason` (PS3.8 AA-8, table 9-26).
    public mutating func protocolViolation(_ reason: Abort.ProviderReason) -> Transition { fire(.evt19, reason: reason) }

    /// Evt3, 4, 6, 10, 12, 13 or 16: a PDU from the peer.
    public mutating func received(_ pdu: PDU) -> Transition {
        let event: UpperLayerEvent = switch pdu {
        case .associateAccept: .evt3
        case .associateReject: .evt4
        case .associateRequest: .evt6
        case .data: .evt10
        case .releaseRequest: .evt12
        case .releaseResponse: .evt13
        case .abort: .evt16
        }
        return fire(event, pdu: pdu, reason: .unexpectedPDU)
    }

    private mutating func fire(_ event: UpperLayerEvent, pdu: PDU? = nil, reason: Abort.ProviderReason = .notSpecified) -> Transition {
        guard let action = StateTable.action(for: event, in: state) else { return Transition(action: nil, outputs: []) }
        return perform(action, pdu: pdu, reason: reason)
    }

    // MARK: Actions (PS3.8 tables 9-6 to 9-9)

    /// Carries out `action`: `pdu` is the one received or to be sent, `reason` what a
    /// provider abort gives.
    private mutating func perform(_ action: UpperLayerAction, pdu: PDU?, reason: Abort.ProviderReason) -> Transition {
        var outputs: [Output] = []
        let next: UpperLayerState
        switch action {
        case .ae1:
            outputs = [.connect]
            next = .sta4
        case .ae2:
            if let request = pendingRequest { outputs = [.send(.associateRequest(request))] }
            next = .sta5
        case .ae3:
            if case .associateAccept(let accept)? = pdu { outputs = [.indicate(.associateAccepted(accept))] }
            next = .sta6
        case .ae4:
            if case .associateReject(let reject)? = pdu { outputs = [.indicate(.associateRejected(reject))] }
            outputs.append(.closeConnection)
            next = .sta1
        case .ae5:
            outputs = [.startARTIM]
            next = .sta2
        case .ae6:
            outputs = [.stopARTIM]
            if case .associateRequest(let request)? = pdu, request.protocolVersion & 1 == 1 {
                outputs.append(.indicate(.associateRequest(request)))
                next = .sta3
            } else {
                // Not acceptable to the provider: only protocol version 1 exists (PS3.8 9.3.2).
                let reject = AssociateReject(result: .permanent, reason: .serviceProviderACSE(.protocolVersionNotSupported))
                outputs += [.send(.associateReject(reject)), .startARTIM]
                next = .sta13
            }
        case .ae7:
            if let pdu { outputs = [.send(pdu)] }
            next = .sta6
        case .ae8:
            if let pdu { outputs = [.send(pdu)] }
            outputs.append(.startARTIM)
            next = .sta13
        case .dt1:
            if let pdu { outputs = [.send(pdu)] }
            next = .sta6
        case .dt2:
            if case .data(let data)? = pdu { outputs = [.indicate(.data(data))] }
            next = .sta6
        case .ar1:
            outputs = [.send(.releaseRequest)]
            next = .sta7
        case .ar2:
            outputs = [.indicate(.releaseRequested)]
            next = .sta8
        case .ar3:
            outputs = [.indicate(.releaseConfirmed), .closeConnection]
            next = .sta1
        case .ar4:
            outputs = [.send(.releaseResponse), .startARTIM]
            next = .sta13
        case .ar5:
            outputs = [.stopARTIM]
            next = .sta1
        case .ar6:
            if case .data(let data)? = pdu { outputs = [.indicate(.data(data))] }
            next = .sta7
        case .ar7:
            if let pdu { outputs = [.send(pdu)] }
            next = .sta8
        case .ar8:
            outputs = [.indicate(.releaseRequested)]
            next = role == .requestor ? .sta9 : .sta10
        case .ar9:
            outputs = [.send(.releaseResponse)]
            next = .sta11
        case .ar10:
            outputs = [.indicate(.releaseConfirmed)]
            next = .sta12
        case .aa1:
            // PS3.8 table 9-9: the service-user source, even for a peer's bad PDU in Sta2.
            outputs = [.send(.abort(.byServiceUser)), .startARTIM]
            next = .sta13
        case .aa2:
            outputs = [.stopARTIM, .closeConnection]
            next = .sta1
        case .aa3:
            if case .abort(let abort)? = pdu, case .serviceProvider(let providerReason) = abort.source {
                outputs = [.indicate(.providerAborted(providerReason))]
            } else {
                outputs = [.indicate(.aborted)]
            }
            outputs.append(.closeConnection)
            next = .sta1
        case .aa4:
            outputs = [.indicate(.providerAborted(.notSpecified))]
            next = .sta1
        case .aa5:
            outputs = [.stopARTIM]
            next = .sta1
        case .aa6:
            next = .sta13 // the PDU is ignored
        case .aa7:
            outputs = [.send(.abort(Abort(source: .serviceProvider(reason))))]
            next = .sta13
        case .aa8:
            outputs = [.send(.abort(Abort(source: .serviceProvider(reason)))), .indicate(.providerAborted(reason)), .startARTIM]
            next = .sta13
        }
        state = next
        return Transition(action: action, outputs: outputs)
    }
}
