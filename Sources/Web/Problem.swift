import Foundation
import Hummingbird

/// An HTTP error, answered as `application/problem+json` (RFC 9457): the status, a title
/// and what exactly was wrong.
public struct Problem: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let detail: String
    /// Sent with it: WWW-Authenticate with a 401, Retry-After with a 429.
    public let headers: HTTPFields
    /// What went wrong inside, for the server log only (`ErrorLog`): paths and system errors
    /// are not the client's business.
    public let cause: String?

    public init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:], cause: String? = nil) {
        self.status = status
        self.detail = detail
        self.headers = headers
        self.cause = cause
    }

    /// A 500: what could not be done, told to the client; why, told to the log.
    static func `internal`(_ what: String, cause: any Error) -> Problem {
        Problem(.internalServerError, "\(what); the server log says why", cause: "\(cause)")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: [String: Any] = ["type": "about:blank", "title": status.reasonPhrase, "status": status.code, "detail": detail]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail) }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, detail) }
    static func notAcceptable(_ detail: String) -> Problem { Problem(.notAcceptable, detail) }
}
