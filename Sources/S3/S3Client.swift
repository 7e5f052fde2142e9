import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// A small S3 client for one bucket: objects go up with their SHA-256 (signed as the payload
/// hash and sent as `x-amz-checksum-sha256`, so the service rejects bytes that changed on the
/// way), large ones in parts; HEAD, GET and LIST read them back.
public struct S3Client: Sendable {
    public var location: S3Location
    public var signer: SigV4
    /// Files larger than this go up as a multipart upload, in parts of this size (S3: 5 MiB
    /// to 5 GiB a part, at most 10,000 parts).
    public var partSize: Int
    let http: HTTPClient
    let timeout: TimeAmount

    public init(location: S3Location, credentials: S3Credentials, partSize: Int = 64 << 20, http: HTTPClient = .shared,
                timeout: TimeAmount = .seconds(120)) {
        self.location = location
        signer = SigV4(credentials: credentials, region: location.region)
        self.partSize = max(partSize, 5 << 20)
        self.http = http
        self.timeout = timeout
    }

    /// How an object is written: its type, server-side encryption, and an object lock
    /// retention that not even the account's root can shorten in compliance mode.
    public struct PutOptions: Sendable {
        public enum Encryption: Sendable, Equatable { case s3, kms(keyID: String?) }
        public enum LockMode: String, Sendable { case compliance = "COMPLIANCE", governance = "GOVERNANCE" }

        public var contentType = "application/octet-stream"
        public var encryption: Encryption?
        public var retention: (mode: LockMode, until: Date)?
        public var metadata: [String: String] = [:]

        public init(contentType: String = "application/octet-stream", encryption: Encryption? = nil,
                    retention: (mode: LockMode, until: Date)? = nil, metadata: [String: String] = [:]) {
            self.contentType = contentType
            self.encryption = encryption
            self.retention = retention
            self.metadata = metadata
        }

        var headers: [(name: String, value: String)] {
            var headers: [(name: String, value: String)] = [("content-type", contentType)]
            switch encryption {
            case .s3: headers.append(("x-amz-server-side-encryption", "AES256"))
            case .kms(let keyID):
                headers.append(("x-amz-server-side-encryption", "aws:kms"))
                if let keyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyID)) }
            case nil: break
            }
            if let retention {
                headers.append(("x-amz-object-lock-mode", retention.mode.rawValue))
                headers.append(("x-amz-object-lock-retain-until-date", S3Client.iso8601(retention.until)))
            }
            headers += metadata.sorted { $0.key < $1.key }.map { ("x-amz-meta-\($0.key.lowercased())", $0.value) }
            return headers
        }
    }

    /// What HEAD says of an object.
    public struct ObjectInfo: Sendable, Equatable {
        public var size: Int
        public var etag: String
        /// Base64 SHA-256 S3 keeps for a single-part upload (asked for with checksum mode).
        public var checksumSHA256: String?
        public var lockMode: String?
        public var lockRetainUntil: String?
        /// "AES256" or "aws:kms" when the service encrypts it at rest.
        public var serverSideEncryption: String?
        public var metadata: [String: String]
    }

    public struct ListedObject: Sendable, Equatable {
        public var key: String
        public var size: Int
        public var etag: String
        public var lastModified: Date?
    }

    // MARK: Objects

    /// Creates the bucket (with object lock enabled when asked; it cannot be added later);
    /// one that already exists and is ours is fine.
    public func createBucket(objectLock: Bool = false) async throws(S3Error) {
        var body = ""
        if location.region != "us-east-1" {
            body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(location.region)</LocationConstraint></CreateBucketConfiguration>"
        }
        let headers: [(name: String, value: String)] = objectLock ? [("x-amz-bucket-object-lock-enabled", "true")] : []
        do {
            _ = try await send("PUT", key: "", headers: headers, body: ByteBuffer(string: body))
        } catch where error.code == "BucketAlreadyOwnedByYou" {}
    }

    /// Puts bytes held in memory (a manifest, a snapshot's index).
    @discardableResult
    public func put(_ key: String, bytes: ByteBuffer, options: PutOptions = PutOptions()) async throws(S3Error) -> String {
        let digest = bytes.withUnsafeReadableBytes { Array(SHA256.hash(data: $0)) }
        let response = try await send("PUT", key: key, headers: options.headers + Self.checksumHeaders(digest), body: bytes, payloadSHA256: SigV4.hex(digest))
        return response.headers.first(name: "etag") ?? ""
    }

    /// Puts a file, streamed from the disk; `sha256` when the caller knows it (a blob is named
    /// by it), else it is read once to find it. Larger than `partSize`: a multipart upload.
    @discardableResult
    public func put(_ key: String, file path: String, sha256: [UInt8]? = nil, options: PutOptions = PutOptions()) async throws(S3Error) -> String {
        let size = try FileRange.size(of: path)
        if size > partSize { return try await multipartPut(key, file: path, size: size, options: options) }
        var range = FileRange(path: path, offset: 0, length: size)
        var digest = sha256 ?? []
        if sha256 == nil { digest = try await Self.digest(of: range) }
        range.expectedSHA256 = digest
        let response = try await send("PUT", key: key, headers: options.headers + Self.checksumHeaders(digest), body: range, length: size,
                                      payloadSHA256: SigV4.hex(digest))
        return response.headers.first(name: "etag") ?? ""
    }

    /// HEAD: nil when there is no such object.
    public func head(_ key: String) async throws(S3Error) -> ObjectInfo? {
        do {
            let response = try await send("HEAD", key: key, headers: [("x-amz-checksum-mode", "ENABLED")])
            let headers = response.headers
            var metadata: [String: String] = [:]
            for (name, value) in headers where name.lowercased().hasPrefix("x-amz-meta-") { metadata[String(name.lowercased().dropFirst(11))] = value }
            return ObjectInfo(size: Int(headers.first(name: "content-length") ?? "") ?? 0, etag: headers.first(name: "etag") ?? "",
                              checksumSHA256: headers.first(name: "x-amz-checksum-sha256"), lockMode: headers.first(name: "x-amz-object-lock-mode"),
                              lockRetainUntil: headers.first(name: "x-amz-object-lock-retain-until-date"),
                              serverSideEncryption: headers.first(name: "x-amz-server-side-encryption"), metadata: metadata)
        } catch where error.status == 404 {
            return nil
        }
    }

    /// GET of a whole object of at most `limit` bytes.
    public func get(_ key: String, limit: Int = 64 << 20) async throws(S3Error) -> ByteBuffer {
        try await send("GET", key: key, collectUpTo: limit).body
    }

    /// GET into a file, streamed: written to `path` as it arrives (the caller renames it into
    /// place once checked); `versionID` downloads an earlier version.
    @discardableResult
    public func download(_ key: String, versionID: String? = nil, to path: String) async throws(S3Error) -> Int {
        // Created anew (an old file there is emptied): no earlier bytes may outlive the download.
        guard FileManager.default.createFile(atPath: path, contents: nil), let output = FileHandle(forWritingAtPath: path) else {
            throw S3Error(status: nil, code: "LocalFile", message: "cannot write \(path)", key: key)
        }
        defer { try? output.close() }
        var written = 0
        try await stream(key, versionID: versionID) { buffer throws(S3Error) in
            do {
                try output.write(contentsOf: Data(buffer.readableBytesView))
            } catch {
                throw S3Error(status: nil, code: "LocalFile", message: "cannot write \(path): \(error)", key: key)
            }
            written += buffer.readableBytes
        }
        return written
    }

    /// GET, handing the bytes to `receive` as they arrive; `versionID` reads an earlier
    /// version of the object (a versioned bucket keeps every one).
    public func stream(_ key: String, versionID: String? = nil, receive: (ByteBuffer) throws(S3Error) -> Void) async throws(S3Error) {
        try await send("GET", key: key, query: versionID.map { [("versionId", $0)] } ?? [], receive: receive)
    }

    /// DELETE of an object (or of one version of it). Lifeboat itself never deletes from a
    /// target: this is for drills and tests, which show that a locked version refuses it.
    public func delete(_ key: String, versionID: String? = nil) async throws(S3Error) {
        _ = try await send("DELETE", key: key, query: versionID.map { [("versionId", $0)] } ?? [])
    }

    /// One page of keys under `prefix` (ListObjectsV2), and the token of the next page.
    public func list(prefix: String = "", after token: String? = nil, startAfter: String? = nil, maxKeys: Int = 1000) async throws(S3Error) -> (objects: [ListedObject], next: String?) {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let token { query.append(("continuation-token", token)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        let response = try await send("GET", key: "", query: query, collectUpTo: 16 << 20)
        guard let root = S3XML.parse(Array(response.body.readableBytesView)) else {
            throw S3Error(status: 200, code: "MalformedResponse", message: "the list of \(prefix) is not XML")
        }
        let objects = root.all("Contents").map { item in
            ListedObject(key: item["Key"]?.text ?? "", size: Int(item["Size"]?.text ?? "") ?? 0, etag: item["ETag"]?.text ?? "",
                         lastModified: item["LastModified"].flatMap { Self.date($0.text) })
        }
        let truncated = root["IsTruncated"]?.text == "true"
        return (objects, truncated ? root["NextContinuationToken"]?.text : nil)
    }

    /// A URL that GETs the object without credentials until it expires.
    public func presignedGet(_ key: String, expires: Int, at date: Date = Date()) -> String {
        signer.presignedURL(method: "GET", scheme: location.scheme, host: location.hostHeader, path: location.path(of: key), expires: expires, at: date)
    }

    // MARK: Multipart upload

    /// CreateMultipartUpload, the parts (each with its own SHA-256), then Complete; an upload
    /// that fails part way is aborted so no orphan parts are left to pay for.
    func multipartPut(_ key: String, file path: String, size: Int, options: PutOptions) async throws(S3Error) -> String {
        let created = try await send("POST", key: key, query: [("uploads", "")],
                                     headers: options.headers + [("x-amz-checksum-algorithm", "SHA256")], collectUpTo: 1 << 20)
        guard let uploadID = S3XML.parse(Array(created.body.readableBytesView))?["UploadId"]?.text, !uploadID.isEmpty else {
            throw S3Error(status: created.status, code: "MalformedResponse", message: "no UploadId in the answer to CreateMultipartUpload", key: key)
        }
        do throws(S3Error) {
            var parts: [(number: Int, etag: String, checksum: String)] = []
            var offset = 0
            while offset < size {
                var range = FileRange(path: path, offset: offset, length: min(partSize, size - offset))
                let digest = try await Self.digest(of: range)
                range.expectedSHA256 = digest
                let number = parts.count + 1
                let response = try await send("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                              headers: Self.checksumHeaders(digest), body: range, length: range.length, payloadSHA256: SigV4.hex(digest))
                parts.append((number, response.headers.first(name: "etag") ?? "", Data(digest).base64EncodedString()))
                offset += range.length
            }
            let list = parts.map {
                "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag><ChecksumSHA256>\($0.checksum)</ChecksumSHA256></Part>"
            }.joined()
            let body = ByteBuffer(string: "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(list)</CompleteMultipartUpload>")
            let completed = try await send("POST", key: key, query: [("uploadId", uploadID)], body: body, collectUpTo: 1 << 20)
            // S3 may answer 200 and put the error in the body (CompleteMultipartUpload).
            if let root = S3XML.parse(Array(completed.body.readableBytesView)), root.name == "Error" {
                throw S3Error(status: completed.status, code: root["Code"]?.text ?? "", message: root["Message"]?.text ?? "", key: key)
            }
            return S3XML.parse(Array(completed.body.readableBytesView))?["ETag"]?.text ?? ""
        } catch {
            _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    // MARK: Requests

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    static func checksumHeaders(_ digest: [UInt8]) -> [(name: String, value: String)] {
        [("x-amz-sdk-checksum-algorithm", "SHA256"), ("x-amz-checksum-sha256", Data(digest).base64EncodedString()),
         ("x-amz-content-sha256", SigV4.hex(digest))]
    }

    static func digest(of range: FileRange) async throws(S3Error) -> [UInt8] {
        do {
            return try await range.sha256()
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(status: nil, code: "LocalFile", message: "\(error)")
        }
    }

    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    func send(_ method: String, key: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
              body: ByteBuffer? = nil, payloadSHA256: String? = nil, collectUpTo limit: Int = 0) async throws(S3Error) -> Response {
        let payload = payloadSHA256 ?? body.map { buffer in buffer.withUnsafeReadableBytes { SigV4.hex(SHA256.hash(data: $0)) } } ?? SigV4.emptyPayloadSHA256
        return try await send(method, key: key, query: query, headers: headers, body: body.map { .bytes($0) }, payloadSHA256: payload, collectUpTo: limit)
    }

    func send(_ method: String, key: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
              body: FileRange, length: Int, payloadSHA256: String) async throws(S3Error) -> Response {
        try await send(method, key: key, query: query, headers: headers, body: .stream(body, length: .known(Int64(length))), payloadSHA256: payloadSHA256,
                       collectUpTo: 0)
    }

    /// Signs and sends one request; a response outside 2xx becomes an `S3Error` with S3's
    /// code and message. The body, when `collectUpTo` allows, comes back whole.
    func send(_ method: String, key: String, query: [(name: String, value: String)], headers: [(name: String, value: String)],
              body: HTTPClientRequest.Body?, payloadSHA256: String, collectUpTo limit: Int) async throws(S3Error) -> Response {
        var collected = ByteBufferAllocator().buffer(capacity: 0)
        let (status, responseHeaders) = try await send(method, key: key, query: query, headers: headers, body: body, payloadSHA256: payloadSHA256) {
            buffer throws(S3Error) in
            guard collected.readableBytes + buffer.readableBytes <= limit else {
                throw S3Error(status: nil, code: "ResponseTooLarge", message: "the answer is larger than \(limit) bytes", key: key)
            }
            var buffer = buffer
            collected.writeBuffer(&buffer)
        }
        return Response(status: status, headers: responseHeaders, body: collected)
    }

    @discardableResult
    func send(_ method: String, key: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
              body: HTTPClientRequest.Body? = nil, payloadSHA256: String = SigV4.emptyPayloadSHA256,
              receive: (ByteBuffer) throws(S3Error) -> Void) async throws(S3Error) -> (Int, HTTPHeaders) {
        var headers = headers
        if !headers.contains(where: { $0.name == "x-amz-content-sha256" }) { headers.append(("x-amz-content-sha256", payloadSHA256)) }
        let signed = SigV4.Request(method: method, host: location.hostHeader, path: location.path(of: key), query: query, headers: headers,
                                   payloadSHA256: payloadSHA256)
        var request = HTTPClientRequest(url: location.url(of: key, query: query))
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "host", value: location.hostHeader)
        for (name, value) in headers + signer.sign(signed, at: Date()) { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch let error as S3Error {
            throw error // the body's own: a local file unreadable or not matching its SHA-256
        } catch {
            throw S3Error(status: nil, code: "Unreachable", message: "\(location.hostHeader): \(error)", key: key.isEmpty ? nil : key)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let bytes = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            let root = S3XML.parse(Array(bytes.readableBytesView))
            throw S3Error(status: status, code: root?["Code"]?.text ?? response.status.reasonPhrase,
                          message: root?["Message"]?.text ?? "\(method) answered \(status)", key: key.isEmpty ? nil : key)
        }
        do {
            for try await buffer in response.body { try receive(buffer) }
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(status: nil, code: "Unreachable", message: "the answer broke off: \(error)", key: key.isEmpty ? nil : key)
        }
        return (status, response.headers)
    }
}
