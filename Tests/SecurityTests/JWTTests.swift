import Crypto
import Foundation
@testable import Security
import Testing

/// HS256 tokens: what this node signs verifies; anything altered, unsigned, foreign or
/// stale does not.
@Suite struct JWTTests {
    let key = SymmetricKey(size: .bits256)

    @Test func aSignedTokenVerifiesUntilItExpires() throws {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let token = JWT.sign(user: "ct3", validFor: .seconds(600), key: key, now: now)
        let claims = try JWT.verify(token, key: key, now: now.addingTimeInterval(599))
        #expect(claims.sub == "ct3" && claims.exp == 2_000_000_600 && claims.iss == "lifeboat")
        #expect(throws: JWT.Failure.expired) { try JWT.verify(token, key: key, now: now.addingTimeInterval(600)) }
    }

    @Test func alteredForeignAndUnsignedTokensAreRefused() throws {
        let now = Date()
        let token = JWT.sign(user: "ct3", validFor: .seconds(600), key: key, now: now)
        let parts = token.split(separator: ".").map(String.init)
        let admin = JWT.base64URL(Data(#"{"sub":"admin","iat":0,"exp":9999999999,"iss":"lifeboat"}"#.utf8))
        #expect(throws: JWT.Failure.badSignature) { try JWT.verify("\(parts[0]).\(admin).\(parts[2])", key: key, now: now) }
        #expect(throws: JWT.Failure.badSignature) { try JWT.verify(token, key: SymmetricKey(size: .bits256), now: now) }
        let none = JWT.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
        #expect(throws: JWT.Failure.wrongAlgorithm) { try JWT.verify("\(none).\(admin).", key: key, now: now) }
        #expect(throws: JWT.Failure.malformed) { try JWT.verify("not a token", key: key, now: now) }
    }
}
