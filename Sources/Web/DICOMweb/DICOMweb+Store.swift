import Archive
import DICOM
import Hummingbird

/// STOW-RS (PS3.18 10.5): each application/dicom part of a multipart/related body is
/// staged once as it arrives, through the same sink and zero-loss ingest as a C-STORE
/// (`StowPart`); the answer lists what was stored and what failed, and why.
extension DICOMweb {

    /// PS3.18 table 10.5.3-1's failure reasons.
    enum FailureReason: UInt16 {
        case processingFailure = 0x0110
        case sopClassNotSupported = 0x0122
        case outOfResources = 0xA700
        case dataSetDoesNotMatchSOPClass = 0xA900
        case cannotUnderstand = 0xC000
        /// The instance is not of the study the path names (PS3.18 10.5.3.1).
        case studyMismatch = 0xC122

        /// PS3.18 10.5.3: the Failure Reason (0008,1197) of an instance the archive refused.
        init(_ code: IngestError.Code) {
            switch code {
            case .cannotUnderstand, .sopInstanceMismatch: self = .cannotUnderstand
            case .studyMismatch: self = .studyMismatch
            case .sopClassMismatch: self = .dataSetDoesNotMatchSOPClass
            case .outOfSpace, .storageFailed, .notReplicated: self = .outOfResources
            case .cannotCopy: self = .processingFailure
            }
        }
    }

    struct PartResult {
        var sopClassUID: String?
        var sopInstanceUID: String?
        var studyInstanceUID: String?
        var seriesInstanceUID: String?
        var failure: FailureReason?
        var comment: String?
    }

    func store(_ request: Request, study: String?, from context: WebContext) async throws -> Response {
        guard Self.accepts(request, ["application/dicom+json", "application/json"]) else {
            throw Problem.notAcceptable("the store response is application/dicom+json")
        }
        guard let contentType = request.headers[.contentType], let (type, boundary) = Multipart.parameters(of: contentType) else {
            throw Problem(.unsupportedMediaType, "the body must be multipart/related; type=\"application/dicom\" with a boundary")
        }
        guard type == nil || type?.lowercased() == "application/dicom" else {
            throw Problem(.unsupportedMediaType, "only application/dicom parts are stored; \(type ?? "") is not")
        }
        var parser = MultipartParser(boundary: boundary)
        var results: [PartResult] = []
        var part: StowPart?
        var partType: String?
        defer { part?.cancel() }
        let provenance = Provenance(source: .stow, peerAddress: context.remoteAddress?.description ?? "")
        do {
            for try await chunk in request.body {
                for event in try parser.feed(chunk) {
                    switch event {
                    case .partBegins(let headers):
                        partType = headers["content-type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                        part = partType == "application/dicom" ? StowPart(ingestor: ingestor, study: study, provenance: provenance) : nil
                    case .partBytes(let bytes):
                        try part?.write(bytes)
                    case .partEnds:
                        if let ended = part {
                            part = nil
                            results.append(await ended.finish())
                        } else {
                            results.append(PartResult(failure: .sopClassNotSupported, comment: "a part of type \(partType ?? "none") is not application/dicom"))
                        }
                    }
                }
            }
        } catch let error as MultipartParser.ParseError {
            throw Problem.badRequest("malformed multipart body: \(error)")
        } catch let error as IngestError {
            if error.code == .outOfSpace { throw Problem(.serviceUnavailable, "out of space: the instance was not stored") }
            throw Problem.internal("the instance cannot be staged", cause: error)
        }
        guard parser.isComplete else { throw Problem.badRequest("malformed multipart body: \(MultipartParser.ParseError.unterminated)") }
        guard !results.isEmpty else { throw Problem.badRequest("the body holds no instance") }
        return try storeResponse(results, base: baseURL(request))
    }

    /// PS3.18 10.5.3: 200 when every instance was stored, 202 when some were, 409 when none.
    private func storeResponse(_ results: [PartResult], base: String) throws -> Response {
        var body = DataSet()
        var stored: [Item] = []
        var failed: [Item] = []
        for result in results {
            var item = DataSet()
            if let sopClass = result.sopClassUID { item[Tag.referencedSOPClassUID] = DataElement(tag: Tag.referencedSOPClassUID, vr: .UI, strings: [sopClass]) }
            if let instance = result.sopInstanceUID {
                item[Tag.referencedSOPInstanceUID] = DataElement(tag: Tag.referencedSOPInstanceUID, vr: .UI, strings: [instance])
            }
            if let failure = result.failure {
                item[Tag.failureReason] = DataElement(tag: Tag.failureReason, vr: .US, integers: [failure.rawValue])
                failed.append(Item(dataSet: item))
            } else {
                if let study = result.studyInstanceUID, let series = result.seriesInstanceUID, let instance = result.sopInstanceUID {
                    item[Tag.retrieveURL] = DataElement(tag: Tag.retrieveURL, vr: .UR,
                                                         strings: ["\(base)/studies/\(study)/series/\(series)/instances/\(instance)"])
                }
                stored.append(Item(dataSet: item))
            }
        }
        if !stored.isEmpty { body[Tag.referencedSOPSequence] = DataElement(tag: Tag.referencedSOPSequence, items: stored) }
        if !failed.isEmpty { body[Tag.failedSOPSequence] = DataElement(tag: Tag.failedSOPSequence, items: failed) }
        let reasons = results.compactMap { result in result.comment.map { "\(result.sopInstanceUID ?? "?"): \($0)" } }
        if !reasons.isEmpty {
            logger.warning("STOW-RS refusals", metadata: ["reasons": "\(reasons.joined(separator: "; "))"])
        }
        let status: HTTPResponse.Status = failed.isEmpty ? .ok : stored.isEmpty ? .conflict : .accepted
        var headers = HTTPFields()
        headers[.contentType] = "application/dicom+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: try Self.json(body))))
    }
}
