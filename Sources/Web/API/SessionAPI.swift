import Foundation
import Hummingbird
import Security

/// Signing in from a browser:
///
///     POST /api/login      {"user", "password"} → the session cookie, and {"user", "role", "csrf", "mustChangePassword"}
///     GET  /api/session    the same answer for the session the cookie names; {"signedIn": false} without one
///     POST /api/password   {"current", "new"}: change one's own password (X-CSRF-Token with a session)
///     POST /api/logout     ends the session
///
/// The cookie is HttpOnly and SameSite=Strict (and Secure over HTTPS): the page's script never
/// sees it, and another site's page cannot send it. Requests that change something also
/// need the CSRF token in `X-CSRF-Token`.
struct SessionAPI: Sendable {
    let access: HTTPAccess

    struct Credentials: Decodable {
        var user: String
        var password: String
    }

    struct PasswordChange: Decodable {
        var current: String
        var new: String
    }

    struct SessionInfo: Codable, ResponseEncodable {
        var signedIn = true
        var user: String
        var role: String
        var csrf: String
        var mustChangePassword: Bool
    }

    func addRoutes(to router: Router<WebContext>) {
        router.post("api/login") { request, context in try await login(request, context) }
        router.get("api/session") { request, context -> Response in
            // The page asks before it knows: not being signed in is an answer, not an error.
            guard let identity = try await access.identify(request, source: source(context)) else {
                return try ["signedIn": false].response(from: request, context: context)
            }
            return try SessionInfo(user: identity.user, role: identity.role.rawValue, csrf: identity.csrf ?? "", mustChangePassword: identity.mustChangePassword).response(from: request, context: context)
        }
        router.post("api/logout") { request, context -> Response in
            let identity = try await sessionIdentity(request, context)
            if let key = HTTPAccess.cookie(HTTPAccess.cookieName, in: request) { access.sessions.end(key: key) }
            try await access.audit.record(.init(.login, actor: identity.user, source: source(context), detail: "signed out"))
            var headers = HTTPFields()
            headers[.setCookie] = cookie("", maxAge: 0)
            return Response(status: .noContent, headers: headers)
        }
        router.post("api/password") { request, context -> Response in try await changePassword(request, context) }
    }

    func source(_ context: WebContext) -> String { context.remoteAddress?.ipAddress ?? "unknown" }

    func cookie(_ value: String, maxAge: Int? = nil) -> String {
        var parts = ["\(HTTPAccess.cookieName)=\(value)", "Path=/", "HttpOnly", "SameSite=Strict"]
        if access.secureCookies { parts.append("Secure") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        return parts.joined(separator: "; ")
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let body = try await request.body.collect(upTo: 64 * 1024)
        do {
            return try JSONDecoder().decode(type, from: Data(buffer: body))
        } catch {
            throw Problem.badRequest("expected a JSON object with \(T.self == Credentials.self ? "\"user\" and \"password\"" : "\"current\" and \"new\"")")
        }
    }

    func login(_ request: Request, _ context: WebContext) async throws -> Response {
        let credentials = try await Self.decode(Credentials.self, from: request)
        let user = try await access.checkPassword(name: credentials.user, password: credentials.password, source: source(context), request: request)
        let (key, csrf) = access.sessions.start(user: user.name)
        try await access.audit.record(.init(.login, actor: user.name, source: source(context),
                                            detail: user.mustChangePassword ? "signed in with a one-time password" : "signed in"))
        var headers = HTTPFields()
        headers[.setCookie] = cookie(key)
        let info = SessionInfo(user: user.name, role: user.role.rawValue, csrf: csrf, mustChangePassword: user.mustChangePassword)
        var response = try info.response(from: request, context: context)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// The identity of the session the cookie names; a token or Basic credentials do too, so
    /// a script can ask who it is.
    func sessionIdentity(_ request: Request, _ context: WebContext) async throws -> Identity {
        guard let identity = try await access.identify(request, source: source(context)) else {
            throw access.unauthorized("not signed in")
        }
        return identity
    }

    func changePassword(_ request: Request, _ context: WebContext) async throws -> Response {
        let identity = try await sessionIdentity(request, context)
        if !identity.passesCSRFCheck(request) {
            throw Problem(.forbidden, "missing or wrong X-CSRF-Token header")
        }
        let change = try await Self.decode(PasswordChange.self, from: request)
        _ = try await access.checkPassword(name: identity.user, password: change.current, source: source(context), request: request)
        let users = access.users
        do {
            try users.setPassword(change.new, name: identity.user, oneTime: false)
        } catch {
            throw Problem(.unprocessableContent, "\(error)")
        }
        // Other browsers signed in as this user are signed out; this one stays.
        let kept = HTTPAccess.cookie(HTTPAccess.cookieName, in: request).flatMap { key in access.sessions.session(forKey: key).map { (key, $0) } }
        access.sessions.end(user: identity.user)
        if let (key, session) = kept { access.sessions.restore(key: key, session) }
        try await access.audit.record(.init(.administration, actor: identity.user, source: source(context), subject: identity.user, detail: "password changed"))
        return Response(status: .noContent)
    }
}
