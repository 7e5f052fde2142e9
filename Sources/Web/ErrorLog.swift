import Hummingbird
import Logging

/// Every error answer of 500 or more is logged with its cause, where an administrator looks;
/// an error that is not an HTTP answer of its own (a bug, a failed system call) becomes a
/// problem+json 500 — never an empty body — and is logged the same way.
struct ErrorLog<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            if problem.status.code >= 500 { log(request, problem.status, problem.detail, cause: problem.cause) }
            throw problem
        } catch let error as HTTPResponseError {
            if error.status.code >= 500 { log(request, error.status, "\(error)", cause: nil) }
            throw error
        } catch {
            log(request, .internalServerError, "an unexpected error", cause: "\(error)")
            throw Problem(.internalServerError, "an internal error; the server log says why")
        }
    }

    private func log(_ request: Request, _ status: HTTPResponse.Status, _ detail: String, cause: String?) {
        var metadata: Logger.Metadata = ["method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(status.code)"]
        if let cause { metadata["cause"] = "\(cause)" }
        logger.error("HTTP \(status.code): \(detail)", metadata: metadata)
    }
}
