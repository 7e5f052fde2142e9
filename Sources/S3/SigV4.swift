import Crypto
import Foundation

/// AWS Signature Version 4: the canonical request, the string to sign, the signing key
/// derived from the secret by date, region and service, and the signature — sent in the
/// Authorization header or, for a presigned URL, in the query string.
public struct SigV4: Sendable {
    public var credentials: S3Credentials
    public var region: String
    public var service: String

    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The hex SHA-256 of no bytes: the payload hash of a request without a body.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What a request is signed over. `path` and the query are not yet percent-encoded:
    /// the signer encodes them the S3 way (each byte but A-Z a-z 0-9 - . _ ~, and "/" in
    /// the path, as %XX).
    public struct Request: Sendable {
        public var method: String
        public var host: String
        public var path: String
        public var query: [(name: String, value: String)]
        /// Headers to sign besides host and x-amz-date (which the signer adds).
        public var headers: [(name: String, value: String)]
        public var payloadSHA256: String

        public init(method: String, host: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)] = [], payloadSHA256: String) {
            self.method = method
            self.host = host
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadSHA256 = payloadSHA256
        }
    }

    /// The headers to send with `request` besides its own: x-amz-date, the session token
    /// when there is one, and Authorization.
    public func sign(_ request: Request, at date: Date) -> [(name: String, value: String)] {
        let time = Self.timestamp(date)
        var added: [(name: String, value: String)] = [("x-amz-date", time)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var signed = request
        signed.headers += [("host", request.host)] + added
        let (canonical, signedHeaders) = Self.canonicalRequest(signed)
        let signature = self.signature(of: canonical, time: time)
        added.append(("authorization", "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(time)), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return added
    }

    /// A URL that lets whoever holds it make this one request until `expires` seconds after
    /// `date` (at most 7 days), signed over the host alone and an unsigned payload.
    public func presignedURL(method: String, scheme: String = "https", host: String, path: String,
                             query: [(name: String, value: String)] = [], expires: Int, at date: Date) -> String {
        let time = Self.timestamp(date)
        var parameters: [(name: String, value: String)] = query + [
            ("X-Amz-Algorithm", Self.algorithm), ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(time))"),
            ("X-Amz-Date", time), ("X-Amz-Expires", String(min(max(expires, 1), 604_800))), ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        let request = Request(method: method, host: host, path: path, query: parameters, headers: [("host", host)], payloadSHA256: Self.unsignedPayload)
        let (canonical, _) = Self.canonicalRequest(request)
        return "\(scheme)://\(host)\(Self.encode(path, keepingSlashes: true))?\(Self.canonicalQuery(parameters))&X-Amz-Signature=\(signature(of: canonical, time: time))"
    }

    // MARK: The steps

    /// "20130524/us-east-1/s3/aws4_request".
    func scope(_ time: String) -> String { "\(time.prefix(8))/\(region)/\(service)/aws4_request" }

    /// The canonical request and its signed-header list: method, encoded path, sorted
    /// encoded query, lower-case sorted headers with trimmed values, the signed header
    /// names, and the payload hash, a line each.
    static func canonicalRequest(_ request: Request) -> (String, String) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            headers[key] = headers[key].map { "\($0),\(trimmed)" } ?? trimmed
        }
        let names = headers.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let lines = [
            request.method,
            encode(request.path.isEmpty ? "/" : request.path, keepingSlashes: true),
            canonicalQuery(request.query),
            names.map { "\($0):\(headers[$0]!)\n" }.joined(),
            signedHeaders,
            request.payloadSHA256,
        ]
        return (lines.joined(separator: "\n"), signedHeaders)
    }

    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(String, String)] = query.map { (encode($0.name, keepingSlashes: false), encode($0.value, keepingSlashes: false)) }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        return sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    func signature(of canonicalRequest: String, time: String) -> String {
        let stringToSign = [Self.algorithm, time, scope(time), Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [String(time.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    /// URI-encodes every byte but the unreserved characters (and "/" when kept), as %XX in
    /// upper case.
    public static func encode(_ text: String, keepingSlashes: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                out += "/"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// "20130524T000000Z" (ISO 8601 basic format, UTC), as every request is stamped.
    public static func timestamp(_ date: Date) -> String { basicFormat.format(date) }

    /// A format style, not a `DateFormatter` made for each request: a restore signs hundreds of requests a second.
    public static let basicFormat = Date.ISO8601FormatStyle(dateSeparator: .omitted, timeSeparator: .omitted, timeZone: .gmt)

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
