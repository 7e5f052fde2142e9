import Foundation

/// Alerts to a syslog collector (RFC 5424) over the same exporter as the audit messages'
/// (UDP or TLS; Security's `SyslogExporter`, handed in as `send`): facility daemon, severity
/// critical (2) or warning (4), notice (5) when resolved.
public struct SyslogNotifier: Notifier {
    public let name: String
    let host: String
    let deliver: @Sendable (String) -> Void

    /// `destination` names the collector in reports; `host` is this machine's name in each
    /// message; `send` queues one message for the collector.
    public init(destination: String, host: String, send: @escaping @Sendable (String) -> Void) {
        name = "syslog \(destination)"
        self.host = host
        deliver = send
    }

    public func send(_ alert: Alert) async throws {
        deliver(Self.message(alert, host: host))
    }

    static func message(_ alert: Alert, host: String) -> String {
        let severity = alert.state == .resolved ? 5 : (alert.severity == .critical ? 2 : 4)
        let text = [alert.title, alert.detail].filter { !$0.isEmpty }.joined(separator: " — ").replacingOccurrences(of: "\n", with: " ")
        return "<\(3 * 8 + severity)>1 \(alert.at.formatted(.iso8601)) \(host) lifeboat \(ProcessInfo.processInfo.processIdentifier) ALERT - \u{FEFF}\(text)"
    }
}
