import Foundation
import NIOConcurrencyHelpers

/// Browser sessions: a random key in a cookie, kept here only as its digest, with the
/// CSRF token the page must echo in a header on every request that changes something.
/// They live in memory: a restart signs everyone out, which is the safe direction.
public final class Sessions: Sendable {
    public struct Session: Sendable, Equatable {
        public var user: String
        public var csrf: String
        public var expires: Date
    }

    /// Idle time after which a session ends; each use extends it.
    public let idleTimeout: Duration
    private let table = NIOLockedValueBox<[String: Session]>([:])

    public init(idleTimeout: Duration = .seconds(30 * 60)) { self.idleTimeout = idleTimeout }

    /// Starts a session; returns the cookie's key and the CSRF token.
    public func start(user: String, at now: Date = Date()) -> (key: String, csrf: String) {
        let key = Secrets.random(prefix: "lbs_"), csrf = Secrets.random()
        let session = Session(user: user, csrf: csrf, expires: now.addingTimeInterval(seconds))
        table.withLockedValue { table in
            table = table.filter { $0.value.expires > now }
            table[Secrets.digest(key)] = session
        }
        return (key, csrf)
    }

    /// The live session for a cookie's key, its idle timer restarted; nil if unknown or expired.
    public func session(forKey key: String, at now: Date = Date()) -> Session? {
        let digest = Secrets.digest(key)
        return table.withLockedValue { table in
            guard var session = table[digest] else { return nil }
            guard session.expires > now else {
                table[digest] = nil
                return nil
            }
            session.expires = now.addingTimeInterval(seconds)
            table[digest] = session
            return session
        }
    }

    public func end(key: String) { _ = table.withLockedValue { $0.removeValue(forKey: Secrets.digest(key)) } }

    /// Puts back a session (the one kept when a user's others were ended).
    public func restore(key: String, _ session: Session) { table.withLockedValue { $0[Secrets.digest(key)] = session } }

    /// Ends every session of a user (disabled, or their password changed).
    public func end(user: String) { table.withLockedValue { $0 = $0.filter { $0.value.user != user } } }

    private var seconds: TimeInterval { TimeInterval(idleTimeout.components.seconds) }
}
