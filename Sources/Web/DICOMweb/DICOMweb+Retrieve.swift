import Archive
import Crypto
import DICOM
import Foundation
import Hummingbird
import Logging

/// QIDO-RS searches and WADO-RS / WADO-URI retrieves.
extension DICOMweb {
    /// How many instances ahead of the one being sent are read in advance.
    static let readAhead = 2

    /// Whether the request's Accept header allows one of `types` (or says nothing, or `*/*`).
    static func accepts(_ request: Request, _ types: [String]) -> Bool {
        guard let accept = request.headers[.accept], !accept.isEmpty else { return true }
        return accept.split(separator: ",").contains { range in
            let media = range.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return media == "*/*" || types.contains { $0 == media || (media.hasSuffix("/*") && $0.hasPrefix(media.dropLast())) }
        }
    }

    /// The `type` asked for with multipart/related, when the Accept header names one.
    static func acceptedMultipartType(_ request: Request) -> String? {
        guard let accept = request.headers[.accept] else { return nil }
        for range in accept.split(separator: ",") where range.lowercased().contains("multipart/related") {
            for parameter in range.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == "type" { return pair[1].trimmingCharacters(in: ["\""]).lowercased() }
            }
        }
        return nil
    }

    static func json(_ dataSet: DataSet, encoder: DICOMJSONEncoder = DICOMJSONEncoder()) throws -> String {
        do {
            return try encoder.encode(dataSet).serialized()
        } catch {
            throw Problem.internal("the data set cannot be written as DICOM JSON", cause: error)
        }
    }

    // MARK: QIDO-RS

    func search(_ request: Request, _ level: QueryLevel, _ fixed: [Tag: String]) async throws -> Response {
        guard Self.accepts(request, ["application/dicom+json", "application/json"]) else {
            throw Problem.notAcceptable("search results are application/dicom+json")
        }
        let parameters = request.uri.queryParameters.map { ($0.key, $0.value) }
        let query = try QIDO.query(level: level, fixed: fixed, parameters: parameters, options: engine.options)
        let base = baseURL(request)
        let engine = self.engine
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        // Matches are written as they are found: a search over the whole archive stays small.
        let body = ResponseBody { (writer: inout any ResponseBodyWriter) in
            var first = true
            try await writer.write(ByteBuffer(string: "["))
            try await engine.forEachMatch(query) { match in
                var match = match
                if let url = Self.url(of: match, level: level, base: base) {
                    match[Tag.retrieveURL] = DataElement(tag: Tag.retrieveURL, vr: .UR, strings: [url])
                }
                match[Tag.queryRetrieveLevel] = nil
                try await writer.write(ByteBuffer(string: (first ? "" : ",") + (try Self.json(match))))
                first = false
                return true
            }
            try await writer.write(ByteBuffer(string: "]"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func url(of match: DataSet, level: QueryLevel, base: String) -> String? {
        guard let study = match.uid(.studyInstanceUID) else { return nil }
        switch level {
        case .patient, .study: return "\(base)/studies/\(study)"
        case .series: return match.uid(.seriesInstanceUID).map { "\(base)/studies/\(study)/series/\($0)" }
        case .image:
            guard let series = match.uid(.seriesInstanceUID), let instance = match.uid(.sopInstanceUID) else { return nil }
            return "\(base)/studies/\(study)/series/\(series)/instances/\(instance)"
        }
    }

    // MARK: WADO-RS

    /// The stored instances a path names; 404 when there are none.
    func instances(_ uids: [Tag: String]) async throws -> [StoredInstance] {
        let keys = uids.sorted { $0.key < $1.key }.map { MatchKey(tag: $0.key, vr: .UI, matching: .single($0.value)) }
        let found = try await engine.storedInstances(matching: CatalogQuery(level: .image, keys: keys))
        guard !found.isEmpty else {
            let what = uids[.sopInstanceUID].map { "instance \($0)" } ?? uids[.seriesInstanceUID].map { "series \($0)" } ?? "study \(uids[.studyInstanceUID] ?? "")"
            throw Problem.notFound("no \(what) is stored here")
        }
        return found
    }

    /// Writes a stored Part 10 file, checking its bytes against its SHA-256 as they go
    /// (zero-loss invariant 3): a blob that no longer matches ends the response with an
    /// error rather than pass for intact.
    static func stream(_ instance: StoredInstance, from blobs: any BlobStore, to writer: inout any ResponseBodyWriter, logger: Logger) async throws {
        try await readVerified(instance, from: blobs, logger: logger) { chunk in try await writer.write(chunk) }
    }

    /// Reads a stored blob a MiB at a time through the store's verified reader, giving each
    /// piece to `each`: a blob that does not hash to its name ends in an error before its last
    /// piece, logged as critical.
    static func readVerified(_ instance: StoredInstance, from blobs: any BlobStore, logger: Logger,
                             each: (ByteBuffer) async throws -> Void = { _ in }) async throws {
        do {
            for try await piece in blobs.reader(instance.blob, range: nil, chunk: 1 << 20) { try await each(ByteBuffer(bytes: piece)) }
        } catch let error as BlobStoreError {
            if case .damaged = error {
                logger.critical("a blob does not match its SHA-256", metadata: ["blob": "\(instance.blob)", "instance": "\(instance.sopInstanceUID)"])
                throw Problem(.internalServerError, "instance \(instance.sopInstanceUID) failed its integrity check")
            }
            logger.error("a stored instance cannot be read", metadata: ["blob": "\(instance.blob)", "instance": "\(instance.sopInstanceUID)", "error": "\(error)"])
            throw Problem(.internalServerError, "instance \(instance.sopInstanceUID) cannot be read; see the server log")
        }
    }

    /// DICOM JSON of each instance the path names, written as each is read: one that cannot
    /// be read is left out — and named in the log — rather than fail the others.
    func metadata(_ request: Request, _ uids: [Tag: String]) async throws -> Response {
        guard Self.accepts(request, ["application/dicom+json", "application/json"]) else {
            throw Problem.notAcceptable("metadata is application/dicom+json")
        }
        let found = try await instances(uids)
        let base = baseURL(request)
        // One instance asked for: it is read first, so that if it cannot be the answer says so.
        if found.count == 1 { _ = try Self.metadataJSON(found[0], base: base) }
        let logger = self.logger
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        return Response(status: .ok, headers: headers, body: ResponseBody { (writer: inout any ResponseBodyWriter) in
            var first = true
            try await writer.write(ByteBuffer(string: "["))
            for instance in found {
                let json: String
                do {
                    json = try Self.metadataJSON(instance, base: base)
                } catch {
                    logger.warning("metadata: an instance left out, it cannot be read",
                                   metadata: ["instance": "\(instance.sopInstanceUID)", "blob": "\(instance.blob)", "reason": "\(error)"])
                    continue
                }
                try await writer.write(ByteBuffer(string: (first ? "" : ",") + json))
                first = false
            }
            try await writer.write(ByteBuffer(string: "]"))
            try await writer.finish(nil)
        })
    }

    /// One instance's DICOM JSON; values of 1 KiB or more stay in the file and are given as bulk data URIs.
    static func metadataJSON(_ instance: StoredInstance, base: String) throws -> String {
        guard let path = instance.path else { throw Problem(.internalServerError, "instance \(instance.sopInstanceUID) has no local file") }
        let file: DICOMFile
        do {
            // Large values of a deflated data set are skipped over, not loaded: they are given as bulk data URIs.
            file = try BoundedRead.file(path, bulkDataThreshold: 1024, skippingBulkData: true)
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem.internal("instance \(instance.sopInstanceUID) cannot be read", cause: error)
        }
        let prefix = "\(base)/studies/\(instance.studyInstanceUID)/series/\(instance.seriesInstanceUID)/instances/\(instance.sopInstanceUID)/bulk"
        let encoder = DICOMJSONEncoder(bulkDataThreshold: 1024) { location in
            let steps = location.path.map { "\($0.sequence.hexString)/\($0.item)" } + [location.tag.hexString]
            return "\(prefix)/\(steps.joined(separator: "/"))"
        }
        return try Self.json(file.dataSet, encoder: encoder)
    }

    /// A value left out of the metadata (PS3.18 10.4.1.1.5): the element at `path` (tag,
    /// item, tag, ...) as application/octet-stream in a multipart/related body, read from the
    /// file a MiB at a time as it is written.
    func bulkData(_ request: Request, _ uids: [Tag: String], path: [Substring]) async throws -> Response {
        guard Self.accepts(request, ["multipart/related", "application/octet-stream"]) else {
            throw Problem.notAcceptable("bulk data is multipart/related; type=\"application/octet-stream\"")
        }
        let instance = try await instances(uids)[0]
        guard let location = instance.path else { throw Problem(.internalServerError, "the instance has no local file") }
        let file = try BoundedRead.file(location, bulkDataThreshold: 1024)
        var dataSet = file.dataSet
        var steps = path[...]
        var element: DataElement?
        while let step = steps.popFirst() {
            guard let tag = Tag(hexString: String(step)), let found = dataSet[tag] else {
                throw Problem.notFound("no element \(step) in this instance")
            }
            if let item = steps.popFirst() {
                guard let index = Int(item), let items = found.sequenceItems, items.indices.contains(index) else {
                    throw Problem.notFound("no item \(item) of \(step)")
                }
                dataSet = items[index].dataSet
            } else {
                element = found
            }
        }
        guard let element else { throw Problem.notFound("no element named") }
        // The value's pieces: bytes in memory, or ranges of the file (big-endian ones swapped).
        let pieces: [(bytes: [UInt8]?, range: BulkDataReference?)]
        switch element.value {
        case .bytes(let value): pieces = [(value, nil)]
        case .bulk(let reference): pieces = [(nil, reference)]
        case .encapsulated(let pixels): pieces = pixels.fragments.map { fragment in
            switch fragment {
            case .bytes(let value): (value, nil)
            case .bulk(let reference): (nil, reference)
            }
        }
        case .sequence: throw Problem.notFound("\(element.tag) holds no bulk value")
        }
        guard let source = file.bulkDataFile ?? (try? OpenFile(path: location)) else { throw Problem(.internalServerError, "the instance cannot be read") }
        let boundary = Multipart.makeBoundary()
        var headers = HTTPFields()
        headers[.contentType] = "multipart/related; type=\"application/octet-stream\"; boundary=\(boundary)"
        return Response(status: .ok, headers: headers, body: ResponseBody { (writer: inout any ResponseBodyWriter) in
            try await writer.write(Multipart.partHeader(boundary: boundary, contentType: "application/octet-stream", first: true))
            for piece in pieces {
                if let bytes = piece.bytes { try await writer.write(ByteBuffer(bytes: bytes)) }
                guard let range = piece.range else { continue }
                var done = 0
                while done < range.length {
                    let chunk = try source.read(at: range.offset + done, upTo: min(1 << 20, range.length - done))
                    guard !chunk.isEmpty else { throw Problem(.internalServerError, "the instance's file is shorter than it was") }
                    done += chunk.count
                    try await writer.write(ByteBuffer(bytes: range.littleEndian(chunk)))
                }
            }
            try await writer.write(Multipart.closing(boundary: boundary, empty: false))
            try await writer.finish(nil)
        })
    }

    // MARK: WADO-URI

    /// PS3.18 9.1: `?requestType=WADO&studyUID=&seriesUID=&objectUID=` gives the instance as
    /// application/dicom, or with `contentType=image/png` (or image/jpeg) a picture of a frame.
    func wadoURI(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard parameters["requestType"] == "WADO" else { throw Problem.badRequest("requestType must be WADO") }
        var uids: [Tag: String] = [:]
        for (name, tag) in [("studyUID", Tag.studyInstanceUID), ("seriesUID", .seriesInstanceUID), ("objectUID", .sopInstanceUID)] {
            guard let value = parameters[Substring(name)].map(String.init), UID.isWellFormed(value) else {
                throw Problem.badRequest("\(name) is missing or not a valid UID")
            }
            uids[tag] = value
        }
        let contentType = parameters["contentType"].map(String.init) ?? "application/dicom"
        let instance = try await instances(uids)[0]
        if contentType == "image/png" || contentType == "image/jpeg" {
            // PS3.18 9.1.2.1: a picture of the frame asked for (the first by default).
            let frames = try Self.open(instance)
            let number = try Self.frameNumbers(parameters["frameNumber"].map(String.init) ?? "1", count: frames.count)[0]
            let window = parameters["windowCenter"].flatMap { center in parameters["windowWidth"].map { "\(center),\($0)" } }
            return try Self.picture(of: frames, frame: number, window: try Self.window(window), request: request)
        }
        guard contentType == "application/dicom" else {
            throw Problem.notAcceptable("contentType \(contentType) is not offered; application/dicom, image/png and image/jpeg are")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom"
        let logger = self.logger, blobs = engine.blobs
        return Response(status: .ok, headers: headers, body: ResponseBody { (writer: inout any ResponseBodyWriter) in
            try await Self.stream(instance, from: blobs, to: &writer, logger: logger)
            try await writer.finish(nil)
        })
    }
}
