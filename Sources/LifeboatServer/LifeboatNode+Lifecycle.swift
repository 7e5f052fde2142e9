import DICOMNetwork
import Logging
import NIOConcurrencyHelpers
import Security
import ServiceLifecycle

/// An orderly stop (swift-service-lifecycle): `lifeboat serve` runs the node in a
/// ServiceGroup that turns SIGTERM and SIGINT into a graceful shutdown — the DICOM ports stop
/// taking connections, operations under way are answered (a store once durable), idle and
/// finished associations are aborted, what is still running after the drain timeout is cut
/// off; then the rest stops, the stop is audited and the audit log flushed, and the process
/// exits 0.
extension LifeboatNode {
    /// What ended in `serve`'s task group.
    private enum Ended: Sendable { case dicom, http, other, deadline }

    /// Runs the DICOM servers, the HTTP server and the other parts until one ends unasked (which
    /// ends the node) or a graceful shutdown has drained the DICOM servers and let the HTTP
    /// server (Hummingbird stops gracefully on the same shutdown) close its connections, for
    /// at most the drain timeout and 5 s more. Only then are the rest cancelled: a server's
    /// listener cancelled with a connection accepted but not yet handed out traps when that
    /// connection is dropped (swift-nio #2637).
    func serve(dicom servers: [DICOMServer], onListening: @escaping @Sendable (Int) -> Void,
               http: (@Sendable () async throws -> Void)?, parts: [@Sendable () async throws -> Void], audit: AuditLog) async throws {
        let stopping = NIOLockedValueBox(false)
        let drained = NIOLockedValueBox<[DICOMServer.DrainReport]>([])
        let grace = (servers.first?.configuration.drainTimeout ?? .zero) + .seconds(5)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Ended.self) { group in
                for (index, server) in servers.enumerated() {
                    group.addTask {
                        try await server.run(onBound: index == 0 ? onListening : { _ in })
                        return .dicom
                    }
                }
                if let http {
                    group.addTask {
                        try await http()
                        return .http
                    }
                }
                for part in parts {
                    group.addTask {
                        try await part()
                        try Task.checkCancellation()
                        return .other
                    }
                }
                group.addTask {
                    try await gracefulShutdown()
                    try await Task.sleep(for: grace)
                    return .deadline
                }
                // Anything ending unasked ends the node; once stopping, the servers' end does.
                var dicomLeft = servers.count, httpLeft = http == nil ? 0 : 1
                while let ended = try await group.next() {
                    switch ended {
                    case .dicom: dicomLeft -= 1
                    case .http: httpLeft -= 1
                    case .other, .deadline: break
                    }
                    if !stopping.withLockedValue({ $0 }) || ended == .deadline || (dicomLeft == 0 && httpLeft == 0) { break }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            stopping.withLockedValue { $0 = true }
            Task {
                await withTaskGroup(of: DICOMServer.DrainReport.self) { group in
                    for server in servers { group.addTask { await server.drain() } }
                    for await report in group { drained.withLockedValue { $0.append(report) } }
                }
            }
        }
        guard stopping.withLockedValue({ $0 }) else { return }
        let reports = drained.withLockedValue { $0 }
        let aborted = reports.reduce(0) { $0 + $1.aborted }, cutOff = reports.reduce(0) { $0 + $1.cutOff }
        let detail = "stopped: new associations refused, \(aborted) association\(aborted == 1 ? "" : "s") aborted once answered or idle, "
            + "\(cutOff) cut off with an operation still under way after \(servers.first?.configuration.drainTimeout ?? .zero)"
        Logger(label: "lifeboat").notice("\(detail)")
        try audit.append(.administration, actor: "lifeboat", source: "local", subject: configuration.aeTitle, detail: detail)
        audit.finish()
    }
}
