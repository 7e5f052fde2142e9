import Crypto
import Foundation

/// JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (HS256) by this node's own key: what
/// a DICOM peer presents in user identity negotiation (PS3.7 D.3.3.7, type 5) to act as a
/// user. `sub` names the user; `exp` ends it.
public enum JWT {
    public struct Claims: Codable, Sendable, Equatable {
        public var sub: String
        public var iat: Int
        public var exp: Int
        public var iss: String
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed, badSignature, expired, wrongAlgorithm

        public var description: String {
            switch self {
            case .malformed: "not a JWT"
            case .badSignature: "its signature is not this node's"
            case .expired: "it has expired"
            case .wrongAlgorithm: "only HS256 tokens of this node are accepted"
            }
        }
    }

    static let issuer = "lifeboat"

    public static func sign(user: String, validFor: Duration, key: SymmetricKey, now: Date = Date()) -> String {
        let issued = Int(now.timeIntervalSince1970)
        let claims = Claims(sub: user, iat: issued, exp: issued + Int(validFor.components.seconds), iss: issuer)
        let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = base64URL((try? JSONEncoder().encode(claims)) ?? Data())
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(payload)".utf8), using: key)
        return "\(header).\(payload).\(base64URL(Data(signature)))"
    }

    public static func verify(_ token: String, key: SymmetricKey, now: Date = Date()) throws(Failure) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerData = decode(parts[0]), let payloadData = decode(parts[1]), let signature = decode(parts[2]) else {
            throw .malformed
        }
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else { throw .malformed }
        // RFC 8725 3.1: the algorithm is ours to decide, never the token's ("none" included).
        guard header["alg"] as? String == "HS256" else { throw .wrongAlgorithm }
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key) else {
            throw .badSignature
        }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: payloadData), claims.iss == issuer else { throw .malformed }
        guard Double(claims.exp) > now.timeIntervalSince1970 else { throw .expired }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
