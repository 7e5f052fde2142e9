import HTTPTypes
import Hummingbird
import Security

/// The guard in front of a group of routes: the permission they need, checked against the
/// request's identity (401 without one, 403 with the wrong role), a session's CSRF token
/// on anything that changes state, and one audit record for every request it lets through
/// or stops — who, from where, what path, how it ended.
struct Requirement: RouterMiddleware {
    typealias Context = WebContext
    let permission: Permission
    let access: HTTPAccess
    /// What the audit log calls a request let through.
    let action: AuditRecord.Action

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        let source = context.remoteAddress?.ipAddress ?? "unknown"
        guard let identity = try await access.identify(request, source: source) else {
            try await access.refuse(request, actor: "anonymous", source: source, "no credentials")
        }
        var context = context
        context.identity = identity
        func forbid(_ why: String) async throws -> Never {
            try await access.audit.record(.init(.rejection, succeeded: false, actor: identity.user, source: source, subject: request.uri.path,
                                                detail: "\(request.method) refused: \(why)"))
            throw Problem(.forbidden, why)
        }
        if identity.mustChangePassword { try await forbid("\(identity.user) signed in with a one-time password: change it first (POST /api/password)") }
        guard identity.role.allows(permission) else {
            try await forbid("the \(identity.role.rawValue) role does not allow \(permission.rawValue)")
        }
        if !Self.safeMethods.contains(request.method), !identity.passesCSRFCheck(request) {
            try await forbid("missing or wrong X-CSRF-Token header")
        }
        // A browser looking is a view; a system fetching is a retrieve.
        let recorded: AuditRecord.Action = action == .retrieve && identity.method == .session ? .view : action
        // Decoded, so that the trail reads (and is searched) as the values were meant.
        let subject = request.uri.path + (request.uri.query.map { "?" + ($0.removingPercentEncoding ?? $0) } ?? "")
        do {
            let response = try await next(request, context)
            try await access.audit.record(.init(recorded, succeeded: response.status.code < 400, actor: identity.user, source: source, subject: subject,
                                                detail: "\(request.method) \(response.status.code)"))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            try await access.audit.record(.init(recorded, succeeded: false, actor: identity.user, source: source, subject: subject,
                                                detail: "\(request.method) \(status)"))
            throw error
        }
    }
}

extension Identity {
    /// A session (a cookie the browser sends by itself) must echo its CSRF token; a token or
    /// Basic credentials are sent on purpose and need none.
    func passesCSRFCheck(_ request: Request) -> Bool {
        method != .session || Secrets.constantTimeEquals(request.headers[.csrfToken] ?? "", csrf ?? "-")
    }
}

extension HTTPField.Name {
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
}
