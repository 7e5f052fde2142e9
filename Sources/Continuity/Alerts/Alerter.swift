import Archive
import Foundation
import Logging

/// Tells the channels of each incident once when it begins and once when it ends: incidents
/// are kept in an `AlertStore`, so a restart neither repeats nor forgets one.
/// At most `limit` messages go out in any `window` (20 an hour by default); those held back
/// are logged, stay open incidents, and are counted in the next message that goes.
public actor Alerter {
    let store: any AlertStore
    let channels: [any Notifier]
    let source: String
    let limit: Int
    let window: Duration
    /// What the rate limit reads the time from (a test moves it on instead of waiting).
    let now: @Sendable () -> ContinuousClock.Instant
    let logger = Logger(label: "lifeboat.alerts")
    private var sent: [ContinuousClock.Instant] = []
    private var heldBack = 0

    public init(store: any AlertStore, source: String, channels: [any Notifier], limit: Int = 20, per window: Duration = .seconds(3600),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
        self.store = store
        self.channels = channels
        self.source = source
        self.limit = max(1, limit)
        self.window = window
    }

    /// An incident begins, or goes on: told the first time only.
    public func raise(_ alert: Alert) async {
        var alert = alert
        alert.source = source
        alert.state = .firing
        do {
            guard try await store.openIncident(AlertIncident(key: alert.key, kind: alert.kind, subject: alert.subject,
                                                             severity: alert.severity, summary: alert.summary, openedAt: alert.at)) else { return }
        } catch {
            logger.error("cannot record the incident \(alert.key): \(error); told anyway")
        }
        await deliver(alert)
    }

    /// An incident is over: told if it was open.
    public func resolve(_ kind: Alert.Kind, subject: String, summary: String, detail: String = "") async {
        let key = Alert(kind, subject: subject, severity: .warning, summary: "").key
        guard let incident = (try? await store.resolveIncident(key: key)) ?? nil else { return }
        let since = incident.openedAt.formatted(.iso8601)
        await deliver(Alert(kind, subject: subject, severity: incident.severity, state: .resolved, summary: summary,
                            detail: [detail, "It began \(since): \(incident.summary)"].filter { !$0.isEmpty }.joined(separator: "\n"), source: source))
    }

    /// What holds now, for the kinds one check looks at: each incident not open yet is raised,
    /// each open one of these kinds that no longer holds is resolved.
    public func reconcile(_ kinds: Set<Alert.Kind>, holding: [Alert], resolvedSummary: (AlertIncident) -> String) async {
        for alert in holding { await raise(alert) }
        let holdingKeys = Set(holding.map(\.key))
        let open = ((try? await store.incidents(limit: 10_000)) ?? []).filter { $0.resolvedAt == nil }
        for incident in open where !holdingKeys.contains(incident.key) {
            guard kinds.contains(incident.kind) else { continue }
            await resolve(incident.kind, subject: incident.subject, summary: resolvedSummary(incident))
        }
    }

    private func deliver(_ alert: Alert) async {
        let now = self.now()
        sent.removeAll { now - $0 >= window }
        guard sent.count < limit else {
            heldBack += 1
            logger.warning("alert held back by the rate limit (\(limit) per \(window)): \(alert.title)")
            return
        }
        sent.append(now)
        var alert = alert
        if heldBack > 0 {
            alert.detail += (alert.detail.isEmpty ? "" : "\n") + "\(heldBack) earlier alert\(heldBack == 1 ? " was" : "s were") held back by the rate limit: see lifeboat's log and the dashboard."
            heldBack = 0
        }
        logger.log(level: alert.state == .firing && alert.severity == .critical ? .critical : .warning, "alert: \(alert.title)")
        for channel in channels {
            do {
                try await channel.send(alert)
            } catch {
                logger.error("the alert \(alert.key) could not go by \(channel.name): \(error)")
            }
        }
    }
}
