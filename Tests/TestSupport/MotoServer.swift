import Foundation

/// A moto server (a real S3 API, in memory) with request authentication on, and the keys of
/// an IAM user made for the test (Helpers/moto_credentials.py), so a bad signature is refused.
/// Stopped when released.
public final class MotoServer: Sendable {
    public let process: BackgroundProcess
    public let port: Int
    public let endpoint: String
    public let accessKeyID: String
    public let secretAccessKey: String

    /// `authenticated: false` leaves request authentication off: with it on, moto 5.2.1 refuses
    /// the signature of any listing with a prefix containing "/" (ListObjectsV2 and
    /// ListObjectVersions) — boto3's own as much as ours — so the tests that list a target's
    /// folders (restore, point in time) run without it.
    public init(authenticated: Bool = true) async throws {
        port = LoopbackPort.free()
        endpoint = "http://127.0.0.1:\(port)"
        process = try BackgroundProcess("/usr/bin/env", ["python3", "-m", "moto.server", "-p", String(port)],
                                        environment: ["INITIAL_NO_AUTH_ACTION_COUNT": authenticated ? "3" : "inf"])
        try await LoopbackPort.waitUntilListening(port)
        let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/moto_credentials.py").path
        let keys = try await Subprocess.succeed("/usr/bin/env", ["python3", helper, endpoint], hint: "moto and boto3 (pip install 'moto[server]' boto3)")
            .text.split(separator: "\n").map(String.init)
        guard keys.count == 2 else { throw Subprocess.Failure(description: "moto_credentials.py printed \(keys)") }
        accessKeyID = keys[0]
        secretAccessKey = keys[1]
    }

    deinit { process.stop() }
}
