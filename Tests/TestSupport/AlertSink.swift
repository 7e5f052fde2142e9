import Foundation

/// A place alerts land in the tests (Helpers/alert_sinks.py): a webhook receiver, an SMTP
/// server (aiosmtpd), or a UDP syslog collector; what each received is read back as JSON.
public final class AlertSink: Sendable {
    public enum Kind: String, Sendable { case webhook, smtp, syslog }
    public static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/alert_sinks.py").path
    public let port: Int
    let file: String
    let process: BackgroundProcess

    /// `status`: what the webhook answers (a failing one answers 500).
    public init(_ kind: Kind, status: Int = 204) async throws {
        port = LoopbackPort.free()
        file = FileManager.default.temporaryDirectory.appendingPathComponent("alerts-\(UUID().uuidString).jsonl").path
        process = try BackgroundProcess("/usr/bin/env", ["python3", Self.helper, kind.rawValue, String(port), file] + (kind == .webhook ? [String(status)] : []))
        if kind == .syslog {
            try await Polling.waitUntil(seconds: 20) { self.process.log.contains("listening") }
        } else {
            try await LoopbackPort.waitUntilListening(port)
        }
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: file)
    }

    /// What arrived so far, one object a message.
    public func received() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
