import DICOMNetwork
import Logging
import NIOConcurrencyHelpers
import Security
import ServiceLifecycle

/// An orderly stop (swift-service-lifecycle): `lifeboat serve` runs the node in a
/// ServiceGroup that turns SIGTERM and SIGINT into a graceful shutdown. The node's parts are
/// the services of a group of their own, which shuts them down in the reverse order of their
/// listing, each once the one before has ended: first the DICOM ports stop taking
/// connections, operations under way are answered (a store once durable), idle and finished
/// associations are aborted, what is still running after the drain timeout is cut off; then
/// the HTTP server closes its connections; then the background parts are cancelled. The stop
/// is audited, the audit log flushed, and the process exits 0.
extension LifeboatNode {
    /// Runs the parts until a graceful shutdown has stopped them all, or one ends unasked (which
    /// stops the others the same way). Whatever still runs at the drain timeout and 5 s more is
    /// cancelled — only then: a DICOM listener cancelled with a connection accepted but not yet
    /// handed out traps when that connection is dropped (swift-nio #2637).
    func serve(dicom servers: [DICOMServer], onListening: @escaping @Sendable (Int) -> Void,
               http: (@Sendable () async throws -> Void)?, parts: [NodePart], audit: AuditLog) async throws {
        let dicom = DICOMService(servers: servers, onListening: onListening)
        let listed = parts + (http.map { [NodePart("http", endsOnShutdown: false, $0)] } ?? [])
        var configuration = ServiceGroupConfiguration(
            services: listed.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup) }
                + [.init(service: dicom, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
            logger: Logger(label: "lifeboat"))
        configuration.maximumGracefulShutdownDuration = (servers.first?.configuration.drainTimeout ?? .zero) + .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let stopping = NIOLockedValueBox(false)
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: {
            stopping.withLockedValue { $0 = true }
            Task { await group.triggerGracefulShutdown() }
        }
        guard stopping.withLockedValue({ $0 }) else { return }
        let reports = dicom.reports
        let aborted = reports.reduce(0) { $0 + $1.aborted }, cutOff = reports.reduce(0) { $0 + $1.cutOff }
        let detail = "stopped: new associations refused, \(aborted) association\(aborted == 1 ? "" : "s") aborted once answered or idle, "
            + "\(cutOff) cut off with an operation still under way after \(servers.first?.configuration.drainTimeout ?? .zero)"
        Logger(label: "lifeboat").notice("\(detail)")
        try audit.append(.administration, actor: "lifeboat", source: "local", subject: self.configuration.aeTitle, detail: detail)
        audit.finish()
    }
}

/// A part of the node that runs until the node stops: the replication workers, the scrub,
/// the alerts, the PACS watch, the drills, the HTTP server.
struct NodePart: Service, CustomStringConvertible {
    let description: String
    /// Cancelled when the node stops; false for a part that stops gracefully by itself
    /// (Hummingbird closes its connections on the same shutdown).
    let endsOnShutdown: Bool
    let body: @Sendable () async throws -> Void

    init(_ name: String, endsOnShutdown: Bool = true, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.endsOnShutdown = endsOnShutdown
        self.body = body
    }

    func run() async throws {
        if endsOnShutdown { try await cancelWhenGracefulShutdown(body) } else { try await body() }
    }
}

/// The DICOM servers (plain and TLS) as one service: on a graceful shutdown all drain at once,
/// and the service ends once every server has, with what each drain did.
final class DICOMService: Service, Sendable, CustomStringConvertible {
    let servers: [DICOMServer]
    let onListening: @Sendable (Int) -> Void
    private let draining = NIOLockedValueBox<Task<[DICOMServer.DrainReport], Never>?>(nil)
    private let drained = NIOLockedValueBox<[DICOMServer.DrainReport]>([])
    var description: String { "dicom" }

    init(servers: [DICOMServer], onListening: @escaping @Sendable (Int) -> Void) {
        self.servers = servers
        self.onListening = onListening
    }

    /// What the drains did; empty until the service has ended after a graceful shutdown.
    var reports: [DICOMServer.DrainReport] { drained.withLockedValue { $0 } }

    func run() async throws {
        let (servers, onListening) = (self.servers, self.onListening)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, server) in servers.enumerated() {
                    group.addTask { try await server.run(onBound: index == 0 ? onListening : { _ in }) }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: { [draining] in
            draining.withLockedValue {
                $0 = Task {
                    await withTaskGroup(of: DICOMServer.DrainReport.self) { group in
                        for server in servers { group.addTask { await server.drain() } }
                        return await group.reduce(into: []) { $0.append($1) }
                    }
                }
            }
        }
        if let task = draining.withLockedValue({ $0 }) {
            let reports = await task.value
            drained.withLockedValue { $0 = reports }
        }
    }
}
