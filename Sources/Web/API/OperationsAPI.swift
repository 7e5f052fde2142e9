import Archive
import Continuity
import Foundation
import Hummingbird
import Prometheus

/// What the operations dashboard shows, and the same figures for Prometheus:
///
///     GET /api/operations   the OperationsSnapshot as JSON (needs `status`)
///     GET /metrics          Prometheus text exposition (needs `status`: a service user's token)
struct OperationsAPI: Sendable {
    let catalog: Catalog
    let stores: ContinuityStores
    let node: String
    let dataDirectory: String

    func addRoutes(to router: Router<WebContext>, access: HTTPAccess) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let requirement = Requirement(permission: .status, access: access, action: .query)
        let history = IngestHistoryCache()
        router.group("api").add(middleware: requirement).get("operations") { _, _ -> Response in
            let snapshot = try await OperationsSnapshot.read(catalog: catalog, stores: stores, node: node, dataDirectory: dataDirectory, history: history)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(snapshot))))
        }
        router.group("metrics").add(middleware: requirement).get { _, _ -> Response in
            let snapshot = try await OperationsSnapshot.read(catalog: catalog, stores: stores, node: node, dataDirectory: dataDirectory, history: history)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: Self.metrics(snapshot).emitToBuffer())))
        }
    }

    /// The snapshot's figures as gauges in a registry of their own (read afresh at each scrape).
    static func metrics(_ snapshot: OperationsSnapshot) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
            registry.makeGauge(name: "lifeboat_" + name, labels: labels, help: help).set(value)
        }
        for target in snapshot.targets {
            let labels = [("target", target.name)]
            gauge("replication_recovery_point_seconds", "Age of the oldest version the target has not confirmed (0: caught up)", labels, target.recoveryPointSeconds)
            gauge("replication_queue_depth", "Versions queued for the target", labels, Double(target.queueDepth))
            gauge("replication_permanent_failures", "Versions the target failed for good", labels, Double(target.permanentFailures))
            if let last = target.lastSuccessAt.flatMap({ try? Date($0, strategy: .iso8601) }) {
                gauge("replication_last_success_timestamp_seconds", "When the target last confirmed a version", labels, last.timeIntervalSince1970)
            }
        }
        for place in snapshot.scrub {
            let labels = [("place", place.place)]
            gauge("scrub_covered_ratio", "Share of the versions the current scrub pass has checked", labels, place.coveredPercent / 100)
            gauge("scrub_completed_passes", "Scrub passes completed", labels, Double(place.completedPasses))
        }
        gauge("integrity_findings_30d", "Bad copies found in the last 30 days", [], Double(snapshot.findings.found))
        gauge("integrity_unhealed", "Bad copies not healed yet", [], Double(snapshot.findings.unhealed))
        gauge("integrity_unrecoverable", "Blobs with no good copy anywhere", [], Double(snapshot.findings.unrecoverable))
        var seen = Set<String>()
        for drill in snapshot.drills where seen.insert(drill.target).inserted { // the newest of each target
            let labels = [("target", drill.target)]
            gauge("drill_passed", "Whether the last recovery drill passed", labels, drill.passed ? 1 : 0)
            gauge("drill_timestamp_seconds", "When the last recovery drill ran", labels, drill.startedAt.timeIntervalSince1970)
            gauge("drill_restore_bytes_per_second", "The restore rate the last drill measured", labels, drill.bytesPerSecond)
            if let full = drill.fullRestoreSeconds { gauge("drill_full_restore_seconds", "A full restore at the measured rate", labels, full) }
            if let day = drill.last24HoursSeconds { gauge("drill_last_24h_restore_seconds", "The last 24 hours at the measured rate", labels, day) }
        }
        for node in snapshot.nodes {
            for state in NodeState.allCases {
                gauge("node_state", "The watched node's state (1 for the current one)", [("node", node.node), ("state", state.rawValue)], node.state == state ? 1 : 0)
            }
            gauge("downtime_open", "Whether a downtime of the node is open", [("node", node.node)],
                  snapshot.downtimes.contains { $0.node == node.node && $0.endedAt == nil } ? 1 : 0)
        }
        if let disk = snapshot.disk {
            gauge("disk_available_bytes", "Free space where the archive is kept", [], Double(disk.availableBytes))
            gauge("disk_total_bytes", "Size of the file system where the archive is kept", [], Double(disk.totalBytes))
            if let days = disk.daysLeftAtMean { gauge("disk_days_left", "Days the free space lasts at the mean ingest rate", [], days) }
            gauge("disk_needed_for_48h_downtime_bytes", "Storage a 48-hour PACS outage needs (busiest 48 h seen, +50%)", [], Double(disk.neededFor48Hours))
        }
        for kind in Alert.Kind.allCases {
            gauge("alerts_open", "Open alert incidents", [("kind", kind.rawValue)],
                  Double(snapshot.alerts.filter { $0.kind == kind && $0.resolvedAt == nil }.count))
        }
        return registry
    }
}
