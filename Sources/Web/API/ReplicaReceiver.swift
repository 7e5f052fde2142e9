import Archive
import Foundation
import Hummingbird
import Security

/// The receiving end of another Lifeboat's replication (its `lifeboat` target):
///
///     PUT  /api/replication/blobs/{sha256}   a Part 10 file, stored only if it hashes to the name
///     HEAD /api/replication/blobs/{sha256}   200 when held here, 404 when not
///
/// Each request carries `Authorization: Bearer <token>`. A PUT goes through the same
/// zero-loss ingest as a C-STORE: the answer (201 stored, 200 already held) comes only once
/// the file is durable and cataloged here, so the sender may count it as a copy.
struct ReplicaReceiver: Sendable {
    let ingestor: Ingestor
    let token: String
    /// Each copy received, and each refused, is recorded as a store by "replication".
    let audit: AuditLog

    func addRoutes(to router: Router<WebContext>) {
        router.put("api/replication/blobs/:sha256") { request, context in try await put(request, context) }
        router.head("api/replication/blobs/:sha256") { request, context -> Response in
            let id = try authorize(request, context)
            guard try await ingestor.blobs.contains(id) else { throw Problem.notFound("no blob \(id.hex) here") }
            return Response(status: .ok)
        }
    }

    /// The blob the path names, once the token is right.
    func authorize(_ request: Request, _ context: WebContext) throws(Problem) -> BlobID {
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        // The time taken says nothing of how much of the token was right.
        guard !presented.isEmpty, Secrets.constantTimeEquals(presented, token) else {
            audit.note(.init(.rejection, succeeded: false, actor: "replication", source: context.remoteAddress?.ipAddress ?? "unknown",
                             subject: request.uri.path, detail: "\(request.method) refused: wrong or missing replication token"))
            throw Problem(.unauthorized, "a replication request needs this site's replication token as a Bearer token")
        }
        guard let name = context.parameters.get("sha256"), let id = BlobID(hex: name) else {
            throw Problem.badRequest("a blob is named by 64 lower-case hex digits, its SHA-256")
        }
        return id
    }

    func put(_ request: Request, _ context: WebContext) async throws -> Response {
        let id = try authorize(request, context)
        let staged: StagedBlob
        var staging: StagingFile?
        do {
            staging = try StagingFile(in: ingestor.stagingDirectory)
            for try await chunk in request.body {
                try chunk.withUnsafeReadableBytes { raw throws(BlobStoreError) in try staging?.write(raw) }
            }
            staged = try staging!.finish()
        } catch {
            // Nothing half-written stays behind: not on a full disk, not when the sender goes away.
            staging?.discard()
            if case .outOfSpace? = error as? BlobStoreError { throw Problem(.serviceUnavailable, "out of space: the blob was not stored") }
            if error is BlobStoreError { throw Problem.internal("the blob cannot be staged", cause: error) }
            throw error
        }
        guard staged.id == id else {
            staged.discard()
            audit.note(.init(.rejection, succeeded: false, actor: "replication", source: context.remoteAddress?.ipAddress ?? "unknown",
                             subject: "blob \(id.hex)", detail: "PUT refused: the bytes hash to \(staged.id.hex)"))
            throw Problem(.unprocessableContent, "the bytes hash to \(staged.id.hex), not to \(id.hex): not stored")
        }
        let provenance = Provenance(source: .replica, peerAddress: context.remoteAddress?.ipAddress ?? "")
        let record = { (succeeded: Bool, detail: String) in
            audit.note(.init(.store, succeeded: succeeded, actor: "replication", source: provenance.peerAddress, subject: "blob \(id.hex)", detail: detail))
        }
        do {
            let result = try await ingestor.ingest(staged, expecting: nil, provenance: provenance)
            if case .duplicate = result {
                record(true, "replica already held")
                return Response(status: .ok)
            }
            record(true, "replica stored")
            return Response(status: .created)
        } catch {
            record(false, "replica refused: \(error.message)")
            // The archive's own trouble is worth a retry (503); a blob it cannot understand is not (422).
            let status: HTTPResponse.Status = switch error.code {
            case .outOfSpace, .storageFailed, .notReplicated: .serviceUnavailable
            case .cannotUnderstand, .sopClassMismatch, .sopInstanceMismatch, .studyMismatch, .cannotCopy: .unprocessableContent
            }
            throw Problem(status, error.message)
        }
    }
}
