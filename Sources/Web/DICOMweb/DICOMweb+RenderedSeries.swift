import Archive
import DICOM
import Hummingbird

/// A rendered study or series (PS3.18 10.4.1.1.4): every instance drawn — its first frame, a
/// multi-frame one's frames being asked for one by one — in multipart/related, one part an
/// instance, made as the body is written. An instance that cannot be drawn ends the body
/// with the error (the parts before it stand), named in the log.
extension DICOMweb {
    func renderedAll(_ request: Request, _ uids: [Tag: String]) async throws -> Response {
        let found = try await instances(uids)
        let accept = request.headers[.accept] ?? ""
        let asksJPEG = accept.lowercased().contains("image/jpeg") && !accept.lowercased().contains("image/png")
        let (window, viewport, quality) = try Self.renderingParameters(request)
        let type = asksJPEG ? "image/jpeg" : "image/png"
        guard Self.accepts(request, ["multipart/related", type]) else {
            throw Problem.notAcceptable("a rendered study or series is multipart/related; type=\"image/png\" or \"image/jpeg\"")
        }
        let logger = self.logger
        return Multipart.streamed(type: type, count: found.count) { index in
            do {
                let frames = try Self.open(found[index])
                return try Self.drawn(frames, frame: 1, window: window, viewport: viewport, quality: quality, png: !asksJPEG, jpeg: asksJPEG)
            } catch {
                logger.warning("rendered: an instance could not be drawn", metadata: ["instance": "\(found[index].sopInstanceUID)", "reason": "\(error)"])
                throw error
            }
        }
    }
}
