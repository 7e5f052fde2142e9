import Archive
import Foundation
import Hummingbird
import Replication

/// The operations API: what a dashboard or a monitoring system polls.
///
///     GET /api/replication/status   each target's queue, recovery point, throughput, last error (needs `status`)
struct StatusAPI: Sendable {
    let replicas: any ReplicationStore

    struct ReplicationStatus: Codable, ResponseEncodable {
        var generatedAt: String
        var targets: [ReplicationTargetStatus]
    }

    func addRoutes(to router: Router<WebContext>, access: HTTPAccess) {
        router.group("api").add(middleware: Requirement(permission: .status, access: access, action: .query)).get("replication/status") { _, _ -> ReplicationStatus in
            let now = Date()
            return ReplicationStatus(generatedAt: now.ISO8601Format(), targets: try await replicas.replicationStatus(at: now).filter(\.active))
        }
    }
}
