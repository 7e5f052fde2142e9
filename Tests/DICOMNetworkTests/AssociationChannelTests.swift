@testable import DICOMNetwork
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

/// The acceptor's whole channel — PDU decoder, encoder and association loop — on an
/// `NIOAsyncTestingChannel`: bytes in, bytes out, timers on a virtual clock, no socket.
@Suite struct AssociationChannelTests {
    static let ctImage = "1.2.840.10008.5.1.4.1.1.2"
    static let implicitLE = "1.2.840.10008.1.2"
    static let timeouts = AssociationTimeouts(artim: .seconds(30), idle: .seconds(300))

    /// An association running on a test channel; `peer` plays the requestor with raw PDUs.
    struct Harness {
        let channel: NIOAsyncTestingChannel
        let finished: Task<Void, Never>

        init(policy: AcceptorPolicy = AcceptorPolicy(aeTitle: "LIFEBOAT"), store: any StoreProvider = RecordingStore()) async throws {
            let channel = NIOAsyncTestingChannel()
            let wrapped = try await channel.eventLoop.flatSubmit {
                DICOMServer.acceptorChannel(channel, maximumDataLength: policy.maximumLength)
            }.get()
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 104))
            let association = AcceptorAssociation(channel: wrapped, policy: policy, services: AssociationServices(store: store), timeouts: AssociationChannelTests.timeouts,
                                                  peerAddress: "test")
            self.channel = channel
            // Time may only be advanced once the association's timers are set.
            let (started, signal) = AsyncStream.makeStream(of: Void.self)
            finished = Task { await association.run { signal.finish() } }
            for await _ in started {}
        }

        func send(_ pdu: PDU) async throws {
            var bytes = ByteBuffer()
            try PDUEncoder().encode(data: pdu, out: &bytes)
            try await channel.writeInbound(bytes)
        }

        func sendRaw(_ bytes: [UInt8]) async throws { try await channel.writeInbound(ByteBuffer(bytes: bytes)) }

        func receive() async throws -> PDU {
            var bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            var decoder = PDUDecoder(maximumDataLength: 1 << 20)
            let pdu = try #require(try decoder.decode(buffer: &bytes))
            #expect(bytes.readableBytes == 0, "one write carries exactly one PDU")
            return pdu
        }

        func receiveCommand() async throws -> CommandSet {
            guard case .data(let data) = try await receive(), let value = data.values.first, value.isCommand else {
                Issue.record("expected a command in a P-DATA-TF")
                return CommandSet(.cEchoResponse)
            }
            return try CommandSet(decoding: Array(value.fragment.readableBytesView))
        }

        /// The association ends: its loop returns and the channel is closed.
        func ended() async throws {
            await finished.value
            try await channel.closeFuture.get()
        }

        /// Advances the clock a second at a time until the association has ended: ARTIM is
        /// started on the loop just after the PDU it follows is written, so one jump could come first.
        func advanceUntilEnded(within limit: TimeAmount) async throws {
            var waited = TimeAmount.zero
            while channel.isActive && waited <= limit {
                await channel.testingEventLoop.advanceTime(by: .seconds(1))
                waited = waited + .seconds(1)
                try await Task.sleep(for: .milliseconds(2))
            }
            try await ended()
        }

        func associate(contexts: [ProposedPresentationContext]) async throws -> AssociateAccept {
            try await send(.associateRequest(AssociateRequest(
                calledAETitle: "LIFEBOAT", callingAETitle: "MODALITY", presentationContexts: contexts,
                userInformation: UserInformation(maximumLength: 16384, implementationClassUID: "1.2.3.4"))))
            guard case .associateAccept(let accept) = try await receive() else {
                Issue.record("expected an A-ASSOCIATE-AC")
                throw CancellationError()
            }
            return accept
        }
    }

    /// C-STORE-RQ of a CT image, message 1, a data set to follow.
    static func storeRequest(instance: String) -> CommandSet {
        var command = CommandSet(.cStoreRequest, messageID: 1)
        command.set(.affectedSOPClassUID, uid: ctImage)
        command.set(.affectedSOPInstanceUID, uid: instance)
        command.hasDataSet = true
        return command
    }

    static func commandPDU(_ command: CommandSet, context: UInt8 = 1) throws -> PDU {
        .data(PDataTF(values: [PresentationDataValue(presentationContextID: context, isCommand: true, isLastFragment: true,
                                                     fragment: ByteBuffer(bytes: try command.encoded()))]))
    }

    @Test func echoThenReleaseThenTheRequestorCloses() async throws {
        let peer = try await Harness()
        let accept = try await peer.associate(contexts: [ProposedPresentationContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [Self.implicitLE])])
        #expect(accept.presentationContexts.map(\.result) == [.acceptance])

        var echo = CommandSet(.cEchoRequest, messageID: 9)
        echo.set(.affectedSOPClassUID, uid: "1.2.840.10008.1.1")
        try await peer.send(try Self.commandPDU(echo))
        let response = try await peer.receiveCommand()
        #expect(response.field == .cEchoResponse)
        #expect(response.messageIDBeingRespondedTo == 9)
        #expect(response.status == 0x0000)

        try await peer.send(.releaseRequest)
        #expect(try await peer.receive() == .releaseResponse)
        // Sta13: the requestor closes the connection (PS3.8 9.2.3, AR-10 then evt17).
        try await peer.channel.close()
        try await peer.ended()
    }

    @Test func storeStreamsEachFragmentToTheSinkBeforeTheLast() async throws {
        let store = RecordingStore()
        let peer = try await Harness(store: store)
        _ = try await peer.associate(contexts: [ProposedPresentationContext(id: 3, abstractSyntax: Self.ctImage, transferSyntaxes: [Self.implicitLE])])
        let command = Self.storeRequest(instance: "1.2.3.4.5")
        try await peer.send(try Self.commandPDU(command, context: 3))
        for (index, fragment) in [[UInt8](repeating: 1, count: 100), [2, 2, 2], [3]].enumerated() {
            try await peer.send(.data(PDataTF(values: [PresentationDataValue(presentationContextID: 3, isCommand: false, isLastFragment: index == 2,
                                                                             fragment: ByteBuffer(bytes: fragment))])))
            if index < 2 {
                // The sink has the fragment before the data set is complete: nothing is buffered whole.
                try await store.waitForWrites(index + 1)
                #expect(store.finished == 0)
            }
        }
        let response = try await peer.receiveCommand()
        #expect(response.field == .cStoreResponse)
        #expect(response.status == 0x0000)
        #expect(response.affectedSOPInstanceUID == "1.2.3.4.5")
        #expect(store.bytes == [UInt8](repeating: 1, count: 100) + [2, 2, 2, 3])
        #expect(store.requests.map(\.callingAETitle) == ["MODALITY"])
        #expect(store.finished == 1)
        try await peer.send(.abort(.byServiceUser))
        try await peer.ended()
    }

    @Test func garbageBeforeTheRequestIsAbortedAsTheServiceUser() async throws {
        let peer = try await Harness()
        // The test channel hands the decoder's error back to the writer as well.
        await #expect(throws: PDUDecodingError(.unrecognizedPDU, "unrecognised PDU type 0x47")) {
            try await peer.sendRaw(Array("GET / HTTP/1.1\r\n".utf8))
        }
        // Evt19 in Sta2 is AA-1: an A-ABORT with the service-user source (PS3.8 tables 9-9, 9-10).
        #expect(try await peer.receive() == .abort(.byServiceUser))
        // Sta13 until the peer closes or ARTIM expires.
        await peer.channel.testingEventLoop.advanceTime(by: Self.timeouts.artim)
        try await peer.ended()
    }

    @Test func garbageInAnAssociationIsAbortedByTheProviderAsAnUnrecognisedPDU() async throws {
        let peer = try await Harness()
        _ = try await peer.associate(contexts: [ProposedPresentationContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [Self.implicitLE])])
        await #expect(throws: PDUDecodingError.self) {
            try await peer.sendRaw([0x4B, 0x00, 0x00, 0x00, 0x00, 0x02, 0xDE, 0xAD])
        }
        // Evt19 in Sta6 is AA-8: source 2 (service provider), reason 1 (unrecognised PDU) (PS3.8 9.3.8).
        #expect(try await peer.receive() == .abort(Abort(source: .serviceProvider(.unrecognizedPDU))))
        await peer.channel.testingEventLoop.advanceTime(by: Self.timeouts.artim)
        try await peer.ended()
    }

    @Test func aStoreCutOffByAnAbortLeavesNothingInTheSink() async throws {
        let store = RecordingStore()
        let peer = try await Harness(store: store)
        _ = try await peer.associate(contexts: [ProposedPresentationContext(id: 1, abstractSyntax: Self.ctImage, transferSyntaxes: [Self.implicitLE])])
        let command = Self.storeRequest(instance: "1.2.3.4.6")
        try await peer.send(try Self.commandPDU(command))
        try await peer.send(.data(PDataTF(values: [PresentationDataValue(presentationContextID: 1, isCommand: false, isLastFragment: false,
                                                                         fragment: ByteBuffer(bytes: [1, 2, 3]))])))
        try await peer.send(.abort(.byServiceUser))
        try await peer.ended()
        #expect(store.finished == 0)
        #expect(store.cancelled == 1)
    }

    @Test func aPeerThatSaysNothingIsClosedWhenARTIMExpires() async throws {
        let peer = try await Harness()
        await peer.channel.testingEventLoop.advanceTime(by: Self.timeouts.artim - .seconds(1))
        #expect(peer.channel.isActive)
        await peer.channel.testingEventLoop.advanceTime(by: .seconds(2))
        try await peer.ended()
        #expect(try await peer.channel.readOutbound(as: ByteBuffer.self) == nil, "nothing is sent before an association exists")
    }

    @Test func anIdleAssociationIsAbortedThenClosed() async throws {
        let peer = try await Harness()
        _ = try await peer.associate(contexts: [ProposedPresentationContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [Self.implicitLE])])
        await peer.channel.testingEventLoop.advanceTime(by: .seconds(150))
        #expect(peer.channel.isActive)
        await peer.channel.testingEventLoop.advanceTime(by: Self.timeouts.idle)
        // PS3.8 AA-1 through the machine (Evt15 in Sta6): A-ABORT, then ARTIM waits for the peer to close.
        #expect(try await peer.receive() == .abort(.byServiceUser))
        await peer.channel.testingEventLoop.advanceTime(by: Self.timeouts.artim - .seconds(1))
        #expect(peer.channel.isActive, "the peer has ARTIM's time to close first")
        try await peer.advanceUntilEnded(within: .seconds(5))
    }

    @Test func anIdleAbortDropsTheStoreInProgress() async throws {
        let store = RecordingStore()
        let peer = try await Harness(store: store)
        _ = try await peer.associate(contexts: [ProposedPresentationContext(id: 1, abstractSyntax: Self.ctImage, transferSyntaxes: [Self.implicitLE])])
        try await peer.send(try Self.commandPDU(Self.storeRequest(instance: "1.2.3.9")))
        try await peer.send(.data(PDataTF(values: [PresentationDataValue(presentationContextID: 1, isCommand: false, isLastFragment: false,
                                                                         fragment: ByteBuffer(bytes: [1, 2, 3]))])))
        await peer.channel.testingEventLoop.advanceTime(by: Self.timeouts.idle + .seconds(80))
        #expect(try await peer.receive() == .abort(.byServiceUser))
        try await peer.advanceUntilEnded(within: Self.timeouts.artim + .seconds(5))
        #expect(store.cancelled == 1 && store.finished == 0, "half an instance is never kept")
    }

    @Test func anUnknownCalledAETitleIsRejectedPermanently() async throws {
        let peer = try await Harness()
        try await peer.send(.associateRequest(AssociateRequest(
            calledAETitle: "SOMEONEELSE", callingAETitle: "MODALITY",
            presentationContexts: [ProposedPresentationContext(id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [Self.implicitLE])],
            userInformation: UserInformation(maximumLength: 16384, implementationClassUID: "1.2.3.4"))))
        // PS3.8 table 9-21: result 1 (permanent), source 1 (service user), reason 7.
        #expect(try await peer.receive() == .associateReject(AssociateReject(result: .permanent, reason: .serviceUser(.calledAETitleNotRecognized))))
        try await peer.channel.close()
        try await peer.ended()
    }
}

/// A store provider that keeps what it is given in memory, for tests.
final class RecordingStore: StoreProvider, Sendable {
    private struct State {
        var requests: [StoreRequest] = []
        var bytes: [UInt8] = []
        var writes = 0
        var finished = 0
        var cancelled = 0
    }

    private let state = NIOLockedValueBox(State())

    var requests: [StoreRequest] { state.withLockedValue { $0.requests } }
    var bytes: [UInt8] { state.withLockedValue { $0.bytes } }
    var finished: Int { state.withLockedValue { $0.finished } }
    var cancelled: Int { state.withLockedValue { $0.cancelled } }

    func waitForWrites(_ count: Int) async throws {
        while state.withLockedValue({ $0.writes }) < count { try await Task.sleep(for: .milliseconds(1)) }
    }

    func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        state.withLockedValue { $0.requests.append(request) }
        return Sink(store: self)
    }

    private struct Sink: StoreSink {
        let store: RecordingStore
        func write(_ fragment: ByteBuffer) async throws {
            store.state.withLockedValue {
                $0.bytes += fragment.readableBytesView
                $0.writes += 1
            }
        }
        func finish() async -> ServiceOutcome {
            store.state.withLockedValue { $0.finished += 1 }
            return .success
        }
        func cancel() async { store.state.withLockedValue { $0.cancelled += 1 } }
    }
}
