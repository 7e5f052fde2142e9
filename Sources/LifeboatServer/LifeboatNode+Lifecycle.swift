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
    /// Runs the DICOM servers and the other parts until one ends unasked (which ends the node)
    /// or a graceful shutdown has drained the DICOM servers.
    func serve(dicom servers: [DICOMServer], onListening: @escaping @Sendable (Int) -> Void, parts: [@Sendable () async throws -> Void],
               audit: AuditLog) async throws {
        let stopping = NIOLockedValueBox(false)
        let drained = NIOLockedValueBox<[DICOMServer.DrainReport]>([])
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, server) in servers.enumerated() {
                    group.addTask {
                        try await server.run(onBound: index == 0 ? onListening : { _ in })
                        return true
                    }
                }
                for part in parts {
                    group.addTask {
                        try await part()
                        try Task.checkCancellation()
                        return false
                    }
                }
                // Anything ending unasked ends the node; once stopping, the DICOM ports' end does.
                var left = servers.count
                while let isDICOM = try await group.next() {
                    if isDICOM { left -= 1 }
                    if left == 0 || !stopping.withLockedValue({ $0 }) { break }
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
