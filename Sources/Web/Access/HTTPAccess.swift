import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOPosix
import Security

/// How HTTP requests prove who they come from: API tokens (`Authorization: Bearer`), a
/// browser session's cookie, and — where configured, for viewers that know nothing else —
/// HTTP Basic with a user's password. Everything it decides is written to the audit log.
public struct HTTPAccess: Sendable {
    public let users: UserDirectory
    public let sessions: Sessions
    public let audit: AuditLog
    /// Accept `Authorization: Basic` (a password on every request); off by default.
    public var allowBasic: Bool
    /// Mark the session cookie `Secure` (served over HTTPS).
    public var secureCookies: Bool
    let throttle: SignInThrottle
    /// Basic credentials already checked with bcrypt, by their digest: a viewer sends them
    /// on every request, and bcrypt is slow on purpose. Kept for `basicCacheSeconds`.
    let basicCache = NIOLockedValueBox<[String: (user: String, until: Date)]>([:])
    let basicCacheSeconds: TimeInterval = 300

    public static let cookieName = "lifeboat_session"

    public init(users: UserDirectory, audit: AuditLog, sessions: Sessions = Sessions(), allowBasic: Bool = false, secureCookies: Bool = false,
                throttle: SignInThrottle = SignInThrottle()) {
        self.users = users
        self.audit = audit
        self.sessions = sessions
        self.allowBasic = allowBasic
        self.secureCookies = secureCookies
        self.throttle = throttle
    }

    /// The identity the request proves; nil when it presents nothing. A credential that is
    /// presented and wrong is refused here (401), and recorded.
    func identify(_ request: Request, source: String) async throws -> Identity? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            let scheme = parts.first?.lowercased() ?? "", value = parts.count > 1 ? String(parts[1]) : ""
            if scheme == "bearer" { return try await identify(token: value, source: source, request: request) }
            if scheme == "basic", allowBasic { return try await identify(basic: value, source: source, request: request) }
            try await refuse(request, actor: "anonymous", source: source, "the \(parts.first ?? "") authorization scheme is not accepted here")
        }
        if let key = Self.cookie(Self.cookieName, in: request), let session = sessions.session(forKey: key),
           let user = try users.user(named: session.user), !user.disabled {
            return Identity(user: user.name, role: user.role, method: .session, csrf: session.csrf, mustChangePassword: user.mustChangePassword)
        }
        return nil
    }

    func identify(token: String, source: String, request: Request) async throws -> Identity {
        switch try users.check(token: token) {
        case .valid(let user):
            return Identity(user: user.name, role: user.role, method: .token, csrf: nil, mustChangePassword: false)
        case .unknown: try await refuse(request, actor: "anonymous", source: source, "unknown token")
        case .expired(let user): try await refuse(request, actor: user, source: source, "expired token")
        case .disabled(let user): try await refuse(request, actor: user, source: source, "token of a disabled user")
        }
    }

    func identify(basic: String, source: String, request: Request) async throws -> Identity {
        guard let decoded = Data(base64Encoded: basic).flatMap({ String(data: $0, encoding: .utf8) }), let colon = decoded.firstIndex(of: ":") else {
            try await refuse(request, actor: "anonymous", source: source, "malformed Basic credentials")
        }
        let name = String(decoded[..<colon]), password = String(decoded[decoded.index(after: colon)...])
        let digest = Secrets.digest(basic), now = Date()
        let cached = basicCache.withLockedValue { $0[digest].flatMap { $0.until > now ? $0.user : nil } }
        if cached == name, let user = try users.user(named: name), !user.disabled {
            return Identity(user: user.name, role: user.role, method: .basic, csrf: nil, mustChangePassword: user.mustChangePassword)
        }
        let user = try await checkPassword(name: name, password: password, source: source, request: request)
        basicCache.withLockedValue { $0[digest] = (user.name, now.addingTimeInterval(basicCacheSeconds)) }
        return Identity(user: user.name, role: user.role, method: .basic, csrf: nil, mustChangePassword: user.mustChangePassword)
    }

    /// A user's password, checked off the event loop and throttled: five failures for a name
    /// or from an address within 15 minutes answer 429 until the window has passed.
    func checkPassword(name: String, password: String, source: String, request: Request) async throws -> User {
        let now = Date()
        if let retry = throttle.retryAfter(user: name, address: source, at: now) {
            let seconds = Int(retry.timeIntervalSince(now).rounded(.up))
            try await audit.record(.init(.loginFailed, succeeded: false, actor: name, source: source, detail: "refused: too many failed sign-ins"))
            throw Problem(.tooManyRequests, "too many failed sign-ins for \(name) or from \(source): try again in \(seconds) s",
                          headers: [.retryAfter: "\(seconds)"])
        }
        let users = users
        let user = try await NIOThreadPool.singleton.runIfActive { try users.verify(name: name, password: password) }
        guard let user else {
            throttle.failed(user: name, address: source, at: now)
            try await refuse(request, actor: name, source: source, "wrong user name or password", action: .loginFailed)
        }
        throttle.succeeded(user: name)
        return user
    }

    /// Records the refusal and answers 401 with the schemes accepted.
    func refuse(_ request: Request, actor: String, source: String, _ why: String, action: AuditRecord.Action = .rejection) async throws -> Never {
        try await audit.record(.init(action, succeeded: false, actor: actor, source: source, subject: request.uri.path,
                                     detail: "\(request.method) refused: \(why)"))
        throw unauthorized(why)
    }

    func unauthorized(_ why: String) -> Problem {
        Problem(.unauthorized, "\(why): sign in, or send an API token as Authorization: Bearer",
                headers: [.wwwAuthenticate: allowBasic ? "Bearer realm=\"lifeboat\", Basic realm=\"lifeboat\"" : "Bearer realm=\"lifeboat\""])
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix(name + "=") { return String(trimmed.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }
}
