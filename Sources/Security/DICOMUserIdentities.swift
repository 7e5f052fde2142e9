import Crypto
import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers

/// Checks the user identity a DICOM peer presents (PS3.7 D.3.3.7) against the same users as
/// the web: a user name and password (type 2), or a JWT this node signed (type 5). A user
/// name alone (type 1), Kerberos and SAML prove nothing here and are ignored: the AE's own
/// rights apply. Passwords checked with bcrypt are remembered for five minutes by digest,
/// so a modality opening an association per image does not pay for it each time. Wrong
/// passwords count towards the same throttle as the web's sign-ins: past it, the association
/// is rejected without the password being checked.
public final class DICOMUserIdentities: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Nothing to check: the AE's rights alone.
        case none
        case user(User)
        /// Presented, and wrong: the association is rejected.
        case refused(name: String, why: String)
    }

    let users: UserDirectory
    /// The signing key's bytes (SymmetricKey itself is not Sendable).
    let key: Data
    let throttle: SignInThrottle
    private let verified = NIOLockedValueBox<[String: (user: String, until: Date)]>([:])

    public init(users: UserDirectory, throttle: SignInThrottle = SignInThrottle()) throws {
        self.users = users
        self.throttle = throttle
        key = try users.signingKey().withUnsafeBytes { Data($0) }
    }

    public func check(_ identity: UserIdentity?, from address: String, now: Date = Date()) -> Outcome {
        guard let identity else { return .none }
        let primary = String(decoding: identity.primaryField, as: UTF8.self)
        switch identity.kind {
        case .usernameAndPasscode:
            if let retry = throttle.retryAfter(user: primary, address: address, at: now) {
                return .refused(name: primary, why: "too many failed sign-ins for \(primary) or from \(address): try again in \(Int(retry.timeIntervalSince(now).rounded(.up))) s")
            }
            let password = String(decoding: identity.secondaryField, as: UTF8.self)
            let digest = Secrets.digest(primary + "\u{0}" + password)
            if let cached = verified.withLockedValue({ $0[digest] }), cached.until > now, let user = try? users.user(named: cached.user), !user.disabled {
                return .user(user)
            }
            guard let user = (try? users.verify(name: primary, password: password)) ?? nil else {
                throttle.failed(user: primary, address: address, at: now)
                return .refused(name: primary, why: "wrong user name or password")
            }
            throttle.succeeded(user: user.name)
            verified.withLockedValue { $0[digest] = (user.name, now.addingTimeInterval(300)) }
            return .user(user)
        case .jwt:
            do throws(JWT.Failure) {
                let claims = try JWT.verify(primary, key: SymmetricKey(data: key), now: now)
                guard let user = try? users.user(named: claims.sub), !user.disabled else {
                    return .refused(name: claims.sub, why: "no enabled user \(claims.sub)")
                }
                return .user(user)
            } catch {
                return .refused(name: "anonymous", why: "JWT refused: \(error)")
            }
        case .username, .kerberos, .saml:
            return .none
        }
    }

    /// The DICOM rights a user's role gives.
    public static func rights(of role: Role) -> Set<DICOMAccess.Right> {
        Set(DICOMAccess.Right.allCases.filter { right in
            switch right {
            case .store: role.allows(.store)
            case .query: role.allows(.query)
            case .retrieve: role.allows(.retrieve)
            }
        })
    }
}
