import DICOM
import NIOCore
import NIOPosix

/// Why an association as requestor failed.
public enum AssociationError: Error, Sendable, Equatable, CustomStringConvertible {
    case rejected(AssociateReject)
    case aborted(Abort.Source?)
    case closed(String)
    case protocolError(String)
    case noAcceptedContext(String)

    public var description: String {
        switch self {
        case .rejected(let reject): "association rejected: \(reject)"
        case .aborted(let source): "association aborted by the \(source.map { "\($0)" } ?? "peer")"
        case .closed(let why): "connection closed: \(why)"
        case .protocolError(let why): "protocol error: \(why)"
        case .noAcceptedContext(let what): "no accepted presentation context for \(what)"
        }
    }
}

/// An association this side requested (PS3.8 7.1): C-ECHO, C-STORE, C-FIND and Storage
/// Commitment requests, then release.
/// Use it inside `withAssociation`, which releases (or aborts on error) and closes.
public final class RequestorAssociation {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var callingAETitle: AETitle
        public var calledAETitle: AETitle
        public var maximumLength: UInt32
        public var connectTimeout: TimeAmount
        /// SCP/SCU role selection proposed (PS3.7 D.3.3.4): a Storage Commitment SCP reporting
        /// on an association of its own proposes the SCP role (PS3.4 J.3.3.1.3).
        public var roleSelections: [RoleSelection] = []
        /// Told of every Storage Commitment report that comes on the association — the one
        /// awaited and any other, even while it is released —, before it is answered with the
        /// status returned: keep it durably first.
        public var commitmentReports: (@Sendable (StorageCommitment.Result) async -> DIMSEStatus)?

        public init(host: String, port: Int, callingAETitle: AETitle = "LIFEBOAT", calledAETitle: AETitle = "ANY-SCP",
                    maximumLength: UInt32 = 256 * 1024, connectTimeout: TimeAmount = .seconds(10)) {
            self.host = host
            self.port = port
            self.callingAETitle = callingAETitle
            self.calledAETitle = calledAETitle
            self.maximumLength = maximumLength
            self.connectTimeout = connectTimeout
        }
    }

    var machine = UpperLayerStateMachine(role: .requestor)
    var assembler = MessageAssembler()
    /// Assembled events read but not yet taken: one PDU can end one message and begin the next.
    var pendingEvents: [MessageAssembler.Event] = []
    /// A message whose data set is still arriving.
    var partial: PartialMessage?
    /// Storage Commitment reports taken while nobody was waiting for them, by Transaction UID.
    var earlyReports: [String: StorageCommitment.Result] = [:]
    private let inbox: PDUInbox
    private let outbound: NIOAsyncChannelOutboundWriter<PDU>
    let commitmentReports: (@Sendable (StorageCommitment.Result) async -> DIMSEStatus)?
    /// Closes the connection when an operation run `within` a limit outlasts it.
    private let timer: ChannelTimer
    private var nextMessageID: UInt16 = 1
    /// The accepted presentation contexts, by ID.
    public private(set) var accepted: [UInt8: (abstractSyntax: String, transferSyntax: String)] = [:]
    public private(set) var acceptance: AssociateAccept?

    private init(inbox: PDUInbox, outbound: NIOAsyncChannelOutboundWriter<PDU>, channel: Channel,
                 commitmentReports: (@Sendable (StorageCommitment.Result) async -> DIMSEStatus)?) {
        self.inbox = inbox
        self.outbound = outbound
        self.commitmentReports = commitmentReports
        timer = ChannelTimer(channel: channel)
    }

    /// Opens an association proposing `contexts`, runs `body`, then releases it.
    public static func withAssociation<Result>(
        _ configuration: Configuration, proposing contexts: [ProposedPresentationContext],
        _ body: (RequestorAssociation) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(configuration.connectTimeout)
            .connect(host: configuration.host, port: configuration.port) { channel in
                DICOMServer.pduChannel(channel, maximumDataLength: configuration.maximumLength)
            }
        return try await channel.executeThenClose { inbound, outbound in
            // The connection is read by a task of its own, so that a wait can end at a deadline.
            let inbox = PDUInbox()
            let reader = Task { await inbox.fill(from: inbound) }
            defer {
                inbox.discard()
                reader.cancel()
            }
            let association = RequestorAssociation(inbox: inbox, outbound: outbound, channel: channel.channel,
                                                   commitmentReports: configuration.commitmentReports)
            let request = AssociateRequest(calledAETitle: configuration.calledAETitle, callingAETitle: configuration.callingAETitle,
                                           presentationContexts: contexts,
                                           userInformation: UserInformation(maximumLength: configuration.maximumLength,
                                                                            implementationClassUID: DICOMFile.implementationClassUID,
                                                                            implementationVersionName: DICOMFile.implementationVersionName,
                                                                            roleSelections: configuration.roleSelections))
            try await association.associate(request)
            do {
                let result = try await body(association)
                try await association.release()
                return result
            } catch {
                try? await association.abort()
                throw error
            }
        }
    }

    private func associate(_ request: AssociateRequest) async throws {
        _ = try machine.requestAssociation(request)
        try await carryOut(machine.transportConnected())
        while machine.state == .sta5 {
            guard let transition = try await nextTransition() else { continue }
            let indications = try await carryOut(transition)
            for indication in indications {
                switch indication {
                case .associateAccepted(let accept):
                    acceptance = accept
                    let proposed = Dictionary(uniqueKeysWithValues: request.presentationContexts.map { ($0.id, $0.abstractSyntax) })
                    for result in accept.presentationContexts where result.result == .acceptance {
                        if let abstractSyntax = proposed[result.id] { accepted[result.id] = (abstractSyntax, result.transferSyntax) }
                    }
                case .associateRejected(let reject): throw AssociationError.rejected(reject)
                case .aborted: throw AssociationError.aborted(.serviceUser)
                case .providerAborted(let reason): throw AssociationError.aborted(.serviceProvider(reason))
                default: break
                }
            }
        }
    }

    /// Runs `operation` on this association, closing the connection once `limit` has passed
    /// without it ending: it then throws `DeadlineExceeded` and the association is broken.
    public func within<Result>(_ limit: Duration, _ what: String, _ operation: () async throws -> Result) async throws -> Result {
        timer.start(after: TimeAmount(limit))
        do {
            let result = try await operation()
            timer.stop()
            return result
        } catch {
            timer.stop()
            guard await timer.fired else { throw error }
            markBroken()
            throw DeadlineExceeded(what, after: limit)
        }
    }

    /// The peer's maximum P-DATA-TF length.
    var fragmenter: MessageFragmenter { MessageFragmenter(maximumLength: acceptance?.userInformation.maximumLength ?? 0) }

    /// C-ECHO (PS3.7 9.1.5): the status of the response.
    public func echo() async throws -> DIMSEStatus {
        guard let context = accepted.first(where: { $0.value.abstractSyntax == SOPClass.verification }) else {
            throw AssociationError.noAcceptedContext("Verification")
        }
        var command = CommandSet(.cEchoRequest, messageID: takeMessageID())
        command.set(.affectedSOPClassUID, uid: SOPClass.verification)
        try await sendCommand(command, contextID: context.key)
        return try await awaitResponse(to: command)
    }

    /// C-STORE (PS3.7 9.1.1): sends a data set already encoded in the context's transfer
    /// syntax, chunk by chunk as `nextChunk` gives it (nil at the end), and returns the status.
    public func store(sopClassUID: String, sopInstanceUID: String, contextID: UInt8, moveOriginator: (aeTitle: AETitle, messageID: UInt16)? = nil,
                      nextChunk: () throws -> ByteBuffer?) async throws -> (DIMSEStatus, String?) {
        var command = CommandSet(.cStoreRequest, messageID: takeMessageID())
        command.set(.affectedSOPClassUID, uid: sopClassUID)
        command.set(.affectedSOPInstanceUID, uid: sopInstanceUID)
        command.set(.priority, 0)
        if let moveOriginator {
            command.set(.moveOriginatorApplicationEntityTitle, string: moveOriginator.aeTitle.value, vr: .AE)
            command.set(.moveOriginatorMessageID, moveOriginator.messageID)
        }
        command.hasDataSet = true
        try await sendCommand(command, contextID: contextID)
        try await fragmenter.sendData(contextID: contextID, from: nextChunk) { try await sendData($0) }
        let status = try await awaitResponse(to: command)
        return (status, lastResponse?.errorComment)
    }

    var lastResponse: CommandSet?
    /// Set when an operation failed part way: nothing more can go over this association.
    public private(set) var isBroken = false

    func markBroken() { isBroken = true }

    func takeMessageID() -> UInt16 {
        defer { nextMessageID &+= 1 }
        return nextMessageID
    }

    func sendCommand(_ command: CommandSet, contextID: UInt8) async throws {
        try await sendData(fragmenter.pdus(of: ByteBuffer(bytes: try command.encoded()), contextID: contextID, isCommand: true))
    }

    /// P-DATA-TF PDUs through the state machine, written to the channel together with one
    /// flush: a 512 KiB data set in 16 KiB PDUs is one write, not 32.
    func sendData(_ pdus: [PDataTF]) async throws {
        var batch: [PDU] = []
        for pdu in pdus {
            let transition = try machine.sendData(pdu)
            let sends = transition.outputs.compactMap { output -> PDU? in if case .send(let pdu) = output { pdu } else { nil } }
            if sends.count == transition.outputs.count {
                batch += sends
            } else {
                try await outbound.write(contentsOf: batch)
                batch = []
                try await carryOut(transition)
            }
        }
        try await outbound.write(contentsOf: batch)
    }

    /// Reads until the response to `request` arrives; other messages are passed over.
    func awaitResponse(to request: CommandSet) async throws -> DIMSEStatus {
        while true {
            let message = try await receiveMessage()
            guard message.command.field?.isResponse == true, message.command.messageIDBeingRespondedTo == request.messageID else { continue }
            lastResponse = message.command
            guard let status = message.command.status else { throw AssociationError.protocolError("a response without a status") }
            return DIMSEStatus(rawValue: status)
        }
    }

    /// A-RELEASE (PS3.8 7.2). A Storage Commitment report may still come before the
    /// A-RELEASE-RP (PS3.8 AR-6): it is taken, though it cannot be answered (Sta7 sends nothing).
    private func release() async throws {
        try await carryOut(try machine.requestRelease())
        while machine.state != .sta1 {
            guard let transition = try await nextTransition() else { continue }
            for indication in try await carryOut(transition) {
                if case .data(let data) = indication { try await takeDataWhileReleasing(data) }
            }
        }
    }

    private func abort() async throws {
        guard machine.state != .sta1 && machine.state != .sta13 else { return }
        try await carryOut(try machine.abort())
    }

    /// What the next PDU (or the connection's end) does to the association; nil once
    /// `deadline` has passed without one, the association as it was.
    func nextTransition(before deadline: ContinuousClock.Instant? = nil) async throws -> UpperLayerStateMachine.Transition? {
        switch await inbox.next(before: deadline) {
        case nil: return nil
        case .pdu(let pdu): return machine.received(pdu)
        case .closed: return machine.transportClosed()
        case .failed(let error as PDUDecodingError):
            _ = try await carryOut(machine.receivedInvalidPDU(error))
            throw AssociationError.protocolError(error.message)
        case .failed(let error): throw error
        }
    }

    /// Sends what the machine asks to send and returns the indications for the caller.
    @discardableResult
    func carryOut(_ transition: UpperLayerStateMachine.Transition) async throws -> [UpperLayerStateMachine.Indication] {
        var indications: [UpperLayerStateMachine.Indication] = []
        for output in transition.outputs {
            switch output {
            case .send(let pdu): try await outbound.write(pdu)
            case .closeConnection: outbound.finish()
            case .indicate(let indication): indications.append(indication)
            case .connect, .startARTIM, .stopARTIM: break // connected already; the caller's timeouts bound the rest
            }
        }
        if machine.state == .sta1, indications.contains(where: { if case .providerAborted = $0 { true } else { false } }) {
            throw AssociationError.closed("the connection closed before the operation finished")
        }
        return indications
    }
}
