import Foundation
import Security

/// Alerts to a syslog collector (RFC 5424) over the same exporter as the audit messages'
/// (UDP or TLS): facility daemon, severity critical (2) or warning (4), notice (5) when resolved.
public struct SyslogNotifier: Notifier {
    let exporter: SyslogExporter
    public var name: String { "syslog \(exporter.destination)" }

    public init(exporter: SyslogExporter) { self.exporter = exporter }

    public func send(_ alert: Alert) async throws {
        exporter.send(message: Self.message(alert, host: exporter.host))
    }

    static func message(_ alert: Alert, host: String) -> String {
        let severity = alert.state == .resolved ? 5 : (alert.severity == .critical ? 2 : 4)
        let text = [alert.title, alert.detail].filter { !$0.isEmpty }.joined(separator: " — ").replacingOccurrences(of: "\n", with: " ")
        return "<\(3 * 8 + severity)>1 \(alert.at.formatted(.iso8601)) \(host) lifeboat \(ProcessInfo.processInfo.processIdentifier) ALERT - \u{FEFF}\(text)"
    }
}
