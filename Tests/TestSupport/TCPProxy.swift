import Foundation

/// A link between a test's client and a local server (Helpers/tcp_proxy.py): stopping it cuts the
/// link, starting another on the same port mends it, and a rate makes it a slow link.
public enum TCPProxy {
    /// Starts a proxy on `port` to 127.0.0.1:`target`, at most `bytesPerSecond` each way if given.
    public static func start(port: Int, target: Int, bytesPerSecond: Int? = nil) async throws -> BackgroundProcess {
        let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/tcp_proxy.py").path
        let proxy = try BackgroundProcess("/usr/bin/env", ["python3", helper, String(port), String(target)] + (bytesPerSecond.map { [String($0)] } ?? []))
        try await LoopbackPort.waitUntilListening(port)
        return proxy
    }
}
