import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Where audit messages go: a syslog collector (an audit record repository, a SIEM).
public struct SyslogDestination: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: String, Sendable {
        /// RFC 5426: one message a datagram, no delivery guarantee.
        case udp
        /// RFC 5425: over TLS, each message framed by its length.
        case tls
    }

    public var transport: Transport
    public var host: String
    public var port: Int

    /// "udp://host:514" or "tls://host:6514".
    public init?(_ text: String) {
        guard let schemeEnd = text.range(of: "://"), let transport = Transport(rawValue: String(text[..<schemeEnd.lowerBound])) else { return nil }
        let rest = text[schemeEnd.upperBound...]
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(rest[..<colon])
        guard !host.isEmpty else { return nil }
        self.transport = transport
        self.host = host
        self.port = port
    }

    public var description: String { "\(transport.rawValue)://\(host):\(port)" }
}

/// Sends each audit record, as a DICOM audit message (PS3.15 A.5) in an RFC 5424 syslog
/// message, to a collector. The local log stays the record of authority: the export is
/// fed from it, queues up to `capacity` messages while the collector is away (dropping the
/// oldest beyond, and saying so), and reconnects on its own.
public final class SyslogExporter: Sendable {
    public let destination: SyslogDestination
    let auditSource: String
    let hostname: String
    let tls: TLSConfiguration?
    let logger = Logger(label: "lifeboat.syslog")
    private let messages: AsyncStream<ByteBuffer>
    private let input: AsyncStream<ByteBuffer>.Continuation

    /// `tls`: the client configuration for a tls destination (its trust roots name the collector's CA).
    public init(destination: SyslogDestination, auditSource: String, tls: TLSConfiguration? = nil, capacity: Int = 10_000) {
        self.destination = destination
        self.auditSource = auditSource
        self.tls = tls
        hostname = ProcessInfo.processInfo.hostName.isEmpty ? "-" : ProcessInfo.processInfo.hostName
        (messages, input) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(capacity))
    }

    /// Queues the records; never waits.
    public func send(_ records: [AuditRecord]) {
        for record in records {
            if case .dropped = input.yield(ByteBuffer(string: message(record))) {
                logger.warning("the syslog queue is full: the oldest audit message was not exported (it stays in the local log)")
            }
        }
    }

    /// Queues one message already in RFC 5424 form (an alert); never waits.
    public func send(message: String) {
        if case .dropped = input.yield(ByteBuffer(string: message)) {
            logger.warning("the syslog queue is full: the oldest message was not sent")
        }
    }

    public var host: String { hostname }

    /// RFC 5424 6: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG, with
    /// facility 10 (security/authorization) and severity 5 (notice), or 4 (warning) for a failure.
    func message(_ record: AuditRecord) -> String {
        let priority = 10 * 8 + (record.succeeded ? 5 : 4)
        let xml = DICOMAuditMessage.xml(record, auditSource: auditSource)
        return "<\(priority)>1 \(record.time) \(hostname) lifeboat \(ProcessInfo.processInfo.processIdentifier) DICOM+RFC3881 - \u{FEFF}\(xml)"
    }

    /// Sends until cancelled.
    public func run() async {
        var pending: ByteBuffer?
        var iterator = messages.makeAsyncIterator()
        var delay = 1.0
        while !Task.isCancelled {
            do {
                switch destination.transport {
                case .udp: try await sendDatagrams(&pending, &iterator)
                case .tls: try await sendOverTLS(&pending, &iterator)
                }
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("cannot reach the syslog collector; trying again", metadata: ["destination": "\(destination)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 30)
            }
        }
    }

    private func sendDatagrams(_ pending: inout ByteBuffer?, _ iterator: inout AsyncStream<ByteBuffer>.Iterator) async throws {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "0.0.0.0", port: 0).get()
        defer { channel.close(promise: nil) }
        let address = try SocketAddress.makeAddressResolvingHost(destination.host, port: destination.port)
        while true {
            if pending == nil { pending = await iterator.next() }
            guard let message = pending else { return }
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: message)).get()
            pending = nil
        }
    }

    private func sendOverTLS(_ pending: inout ByteBuffer?, _ iterator: inout AsyncStream<ByteBuffer>.Iterator) async throws {
        let context = try NIOSSLContext(configuration: tls ?? .makeClientConfiguration())
        let host = destination.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                }
            }
            .connect(host: destination.host, port: destination.port).get()
        defer { channel.close(promise: nil) }
        while true {
            if pending == nil { pending = await iterator.next() }
            guard let message = pending else { return }
            // RFC 5425 4.3: octet counting, MSG-LEN SP SYSLOG-MSG.
            var framed = ByteBuffer(string: "\(message.readableBytes) ")
            framed.writeImmutableBuffer(message)
            try await channel.writeAndFlush(framed).get()
            pending = nil
        }
    }

    deinit { input.finish() }
}
