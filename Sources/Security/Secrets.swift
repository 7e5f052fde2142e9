import Crypto
import Foundation

/// Random secrets and their stored digests. Tokens and session keys are 256 random bits,
/// so a plain SHA-256 of them is what is kept — unlike passwords, they cannot be guessed.
public enum Secrets {
    /// 32 random bytes as unpadded base64url, after a prefix that says what it is.
    public static func random(prefix: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + JWT.base64URL(Data(bytes))
    }

    /// A password a person can type once: 20 characters without look-alikes (0/O, 1/l/I).
    public static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares in time independent of where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
