import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A DICOM SCP: accepts associations on a TCP port and serves C-ECHO, C-STORE through a
/// `StoreProvider`, C-FIND through a `QueryProvider` and C-MOVE and C-GET through a
/// `RetrieveProvider`, each association on its own task.
public struct DICOMServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port (see `run(onBound:)`).
        public var port: Int
        public var policy: AcceptorPolicy
        public var timeouts: AssociationTimeouts
        /// More associations at once are rejected as transient, local limit exceeded (PS3.8 table
        /// 9-21); connections not yet associated do not count (`ConnectionLimits`).
        public var maximumAssociations: Int
        /// Where refused connections and associations are told, with why.
        public var logger = Logger(label: "lifeboat.dicom")
        /// How long an orderly stop (`drain`) lets operations under way finish.
        public var drainTimeout: Duration = .seconds(10)
        /// TLS on this port (PS3.15 B.9): every connection's handshake comes before its first PDU.
        public var tls: TLSConfiguration?
        /// Told of each connection whose TLS handshake failed: the peer's address and why.
        public var tlsRefused: (@Sendable (String, String) -> Void)?

        public init(host: String = "0.0.0.0", port: Int = 11112, policy: AcceptorPolicy,
                    timeouts: AssociationTimeouts = AssociationTimeouts(), maximumAssociations: Int = 64) {
            self.host = host
            self.port = port
            self.policy = policy
            self.timeouts = timeouts
            self.maximumAssociations = maximumAssociations
        }

        public init(host: String = "0.0.0.0", port: Int, policy: AcceptorPolicy, timeouts: AssociationTimeouts = AssociationTimeouts(),
                    maximumAssociations: Int = 64, tls: TLSConfiguration?, tlsRefused: (@Sendable (String, String) -> Void)? = nil) {
            self.init(host: host, port: port, policy: policy, timeouts: timeouts, maximumAssociations: maximumAssociations)
            self.tls = tls
            self.tlsRefused = tlsRefused
        }
    }

    public let configuration: Configuration
    public let services: AssociationServices
    /// The live connections, for `drain`.
    public let registry = AssociationRegistry()
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)

    /// The policy's abstract syntaxes are widened by the query and retrieve models the services answer.
    public init(configuration: Configuration, services: AssociationServices) {
        var configuration = configuration
        configuration.policy.abstractSyntaxes.formUnion(services.abstractSyntaxes)
        self.configuration = configuration
        self.services = services
    }

    /// What an orderly stop did.
    public struct DrainReport: Sendable, Equatable {
        /// Connections aborted (A-ABORT, service user) once their operation was answered or when idle.
        public var aborted: Int
        /// Of them, those whose operation was still under way at the end of `drainTimeout`.
        public var cutOff: Int
    }

    /// An orderly stop: no new connection is taken; an idle association is aborted at once, a
    /// busy one as soon as its operation's last response has gone (a store is answered once it
    /// is durable), and whatever is still under way after `drainTimeout` is aborted. `run`
    /// returns once every connection has ended.
    public func drain() async -> DrainReport {
        if let channel = listener.withLockedValue({ $0 }) { try? await channel.close() }
        registry.startDraining()
        let (aborted, cutOff) = await registry.drained(by: .now + configuration.drainTimeout)
        return DrainReport(aborted: aborted, cutOff: cutOff)
    }

    public init(configuration: Configuration, store: any StoreProvider) {
        self.init(configuration: configuration, services: AssociationServices(store: store))
    }

    /// The channel pipeline of a DICOM connection: TLS where configured, then PDUs in and out.
    static func pduChannel(_ channel: Channel, maximumDataLength: UInt32) -> EventLoopFuture<NIOAsyncChannel<PDU, PDU>> {
        channel.eventLoop.makeCompletedFuture {
            try addPDUHandlers(channel, maximumDataLength: maximumDataLength)
            return try NIOAsyncChannel<PDU, PDU>(wrappingChannelSynchronously: channel)
        }
    }

    /// An accepted connection's pipeline: as `pduChannel`, then the idle limit's signal, which
    /// reaches the association in order with its PDUs.
    static func acceptorChannel(_ channel: Channel, maximumDataLength: UInt32, tls: NIOSSLContext? = nil,
                                tlsRefused: (@Sendable (String, String) -> Void)? = nil) -> EventLoopFuture<NIOAsyncChannel<AssociationInput, PDU>> {
        channel.eventLoop.makeCompletedFuture {
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                try channel.pipeline.syncOperations.addHandler(TLSFailureObserver(address: channel.remoteAddress?.ipAddress ?? "unknown", refused: tlsRefused))
            }
            try addPDUHandlers(channel, maximumDataLength: maximumDataLength)
            try channel.pipeline.syncOperations.addHandler(IdleSignal())
            return try NIOAsyncChannel<AssociationInput, PDU>(wrappingChannelSynchronously: channel)
        }
    }

    private static func addPDUHandlers(_ channel: Channel, maximumDataLength: UInt32) throws {
        // The decoder takes what we announce; 0 ("no limit") still gets a ceiling.
        let limit = maximumDataLength == 0 ? 16 << 20 : Int(maximumDataLength)
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(PDUDecoder(maximumDataLength: limit)),
            MessageToByteHandler(PDUEncoder()),
        ])
    }

    /// Binds, calls `onBound` with the port, and serves until the task is cancelled.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let configuration = self.configuration
        let tls = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let unclaimed = UnclaimedConnections()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                Self.acceptorChannel(channel, maximumDataLength: configuration.policy.maximumLength, tls: tls, tlsRefused: configuration.tlsRefused)
                    .map { connection in
                        unclaimed.hold(connection)
                        return connection
                    }
            }
        listener.withLockedValue { $0 = server.channel }
        onBound(server.channel.localAddress?.port ?? configuration.port)
        let registry = self.registry
        let limits = ConnectionLimits(.init(maximumAssociations: configuration.maximumAssociations))
        let logger = configuration.logger
        try await withThrowingDiscardingTaskGroup { group in
            defer { group.addTask { await unclaimed.closeAll() } }
            try await withTaskCancellationHandler {
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        unclaimed.claim(connection)
                        let address = connection.channel.remoteAddress?.ipAddress ?? ""
                        let channel = connection.channel
                        guard case .admitted(let ticket, let evicted) = limits.arrived(from: address, close: { channel.close(promise: nil) }) else {
                            logger.warning("connection refused: too many from one address that have not asked for an association",
                                           metadata: ["from": "\(address)", "limit": "\(limits.settings.maximumPendingPerAddress)"])
                            // Closed through its async channel, whose writer must be finished.
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        if let evicted {
                            logger.warning("the oldest connection that had not asked for an association was closed to make room",
                                           metadata: ["limit": "\(limits.settings.maximumPending)"])
                            evicted()
                        }
                        let association = AcceptorAssociation(channel: connection, policy: configuration.policy, services: services,
                                                              timeouts: configuration.timeouts, peerAddress: address,
                                                              admission: .init(limits: limits, ticket: ticket, logger: logger, registry: registry))
                        registry.register(ticket) {
                            // PS3.8 A-ABORT from this service user, then the connection closed.
                            channel.writeAndFlush(PDU.abort(.byServiceUser), promise: nil)
                            channel.close(promise: nil)
                        }
                        group.addTask {
                            await association.run()
                            limits.ended(ticket)
                            registry.ended(ticket)
                        }
                    }
                }
            } onCancel: {
                server.channel.close(promise: nil)
            }
        }
    }
}
