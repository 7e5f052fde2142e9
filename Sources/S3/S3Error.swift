/// What an S3 request ended with when it did not succeed: the HTTP status and S3's error
/// code and message when the service answered, or why no answer came.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// nil when no response came (connection refused, reset, timed out).
    public var status: Int?
    /// S3's code ("NoSuchKey", "SignatureDoesNotMatch", "SlowDown"...), or "Unreachable".
    public var code: String
    public var message: String
    public var key: String?

    public init(status: Int?, code: String, message: String, key: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.key = key
    }

    /// Worth trying again later: no answer, a server error, throttling or a timeout. Other
    /// errors (a bad signature, access denied, no such bucket, a local file that no longer
    /// matches its SHA-256) stay until someone acts.
    public var isTransient: Bool {
        if code == Self.localChecksumMismatch { return false }
        guard let status else { return true }
        return status >= 500 || status == 429 || status == 408 || ["SlowDown", "RequestTimeout", "InternalError", "RequestTimeTooSkewed"].contains(code)
    }

    /// The code of a local file whose bytes do not match the SHA-256 it was sent under.
    public static let localChecksumMismatch = "LocalChecksumMismatch"

    public var description: String {
        let what = key.map { " (\($0))" } ?? ""
        guard let status else { return "S3 unreachable\(what): \(message)" }
        return "S3 \(status) \(code)\(what): \(message)"
    }
}
