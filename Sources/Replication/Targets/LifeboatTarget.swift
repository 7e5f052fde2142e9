import AsyncHTTPClient
import Archive
import Foundation
import NIOCore
import S3

/// A second Lifeboat, over HTTP(S): each blob PUT by its SHA-256 to its replication API,
/// which stores it only if the bytes hash to the name and answers once it is durable and
/// cataloged there — a second working archive, not just a copy. Idempotent: a blob it
/// already holds (HEAD first) is not sent again.
public struct LifeboatTarget: SingleBlobTarget {
    public let name: String
    /// The other site's HTTP base, e.g. https://lifeboat-b.example.org:8080.
    public let baseURL: String
    let token: String
    public let concurrency: Int
    let http: HTTPClient
    let timeout: TimeAmount

    public init(name: String, baseURL: String, token: String, concurrency: Int = 4, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(120)) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.concurrency = concurrency
        self.http = http
        self.timeout = timeout
    }

    /// It catalogs what it receives and can be rebuilt from its own blobs: no manifests.
    public var keepsManifests: Bool { false }

    public func put(_ blob: OutboundBlob) async throws(ReplicationError) {
        // Asked first, with a short deadline: a copy already there is not sent again, and a
        // site that is down shows in seconds (async-http-client keeps trying to connect until
        // a request's deadline, and an upload's is long).
        if try await holds(blob) { return }
        var request = HTTPClientRequest(url: "\(baseURL)/api/replication/blobs/\(blob.blob.hex)")
        request.method = .PUT
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        request.headers.add(name: "content-type", value: "application/dicom")
        // The file is checked against its name as it goes; a mismatch abandons the request
        // before its last byte, and the other site would refuse it anyway.
        request.body = .stream(FileRange(path: blob.path, offset: 0, length: blob.size, expectedSHA256: blob.blob.bytes), length: .known(Int64(blob.size)))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch let error as S3Error where error.code == S3Error.localChecksumMismatch {
            throw .permanent("the local copy of \(blob.sopInstanceUID) does not match its SHA-256: not sent")
        } catch let error as S3Error {
            throw .permanent("the local copy of \(blob.sopInstanceUID) cannot be read: \(error.message)")
        } catch {
            throw .transient("\(name) unreachable at \(baseURL): \(error)")
        }
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
        switch response.status.code {
        case 200, 201: return
        // It refused this instance itself (it cannot read it): retrying will not help.
        case 422: throw .permanent("\(name) refused \(blob.sopInstanceUID): \(Self.detail(body))")
        default: throw .transient("\(name) answered \(response.status.code): \(Self.detail(body))")
        }
    }

    func holds(_ blob: OutboundBlob) async throws(ReplicationError) -> Bool {
        var request = HTTPClientRequest(url: "\(baseURL)/api/replication/blobs/\(blob.blob.hex)")
        request.method = .HEAD
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        let status: UInt
        do {
            status = try await http.execute(request, timeout: .seconds(10)).status.code
        } catch {
            throw .transient("\(name) unreachable at \(baseURL): \(error)")
        }
        switch status {
        case 200: return true
        case 404: return false
        default: throw .transient("\(name) answered \(status) to HEAD")
        }
    }

    /// The `detail` of a problem+json answer, else the body itself.
    static func detail(_ body: String) -> String {
        if let data = body.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let detail = object["detail"] as? String {
            return detail
        }
        return String(body.prefix(200))
    }
}
