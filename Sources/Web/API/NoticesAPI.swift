import Archive
import Continuity
import Foundation
import Hummingbird

/// What every signed-in user should know about where they are, whatever their role:
///
///     GET /api/notices   {"pacsDown": [{"node", "since", "downtimeOpen"}]} (any identity)
///
/// A watched PACS that is down, or a downtime that is open, puts a banner on every page of
/// the viewer: clinicians learn they are on the downtime archive, not only IT (the seeds ask
/// for notifications to users). Nothing here names a patient, so reading it is not audited
/// (the page asks every 30 s).
struct NoticesAPI: Sendable {
    let downtimes: any DowntimeStore
    let access: HTTPAccess

    struct Notices: Codable, ResponseEncodable {
        struct Outage: Codable {
            var node: String
            var since: String
            /// A downtime is open (by the watch or an operator), not only a failed check.
            var downtimeOpen: Bool
        }

        var pacsDown: [Outage]
    }

    func addRoutes(to router: Router<WebContext>) {
        router.get("api/notices") { request, context -> Notices in
            guard try await access.identify(request, source: context.remoteAddress?.ipAddress ?? "unknown") != nil else {
                throw Problem(.unauthorized, "sign in to see notices")
            }
            return try await Self.notices(downtimes)
        }
    }

    /// Each node down or in an open downtime, since the earlier of the two.
    static func notices(_ downtimes: any DowntimeStore) async throws -> Notices {
        var since: [String: (date: Date, open: Bool)] = [:]
        for event in try await downtimes.latestNodeEvents() where event.state == .down {
            since[event.node] = (event.at, false)
        }
        for downtime in try await downtimes.downtimes(limit: 20) where downtime.endedAt == nil {
            let earlier = min(since[downtime.node]?.date ?? downtime.startedAt, downtime.startedAt)
            since[downtime.node] = (earlier, true)
        }
        return Notices(pacsDown: since.sorted { $0.key < $1.key }.map {
            Notices.Outage(node: $0.key, since: $0.value.date.ISO8601Format(), downtimeOpen: $0.value.open)
        })
    }
}
