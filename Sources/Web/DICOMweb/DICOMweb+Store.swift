import Archive
import DICOM
import Hummingbird

/// STOW-RS (PS3.18 10.5): each application/dicom part of a multipart/related body is
/// staged as it arrives and goes through the same zero-loss ingest as a C-STORE; the answer
/// lists what was stored and what failed, and why.
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
        var staging: StagingFile?
        var partType: String?
        defer { staging?.discard() }
        do {
            for try await chunk in request.body {
                for event in try parser.feed(chunk) {
                    switch event {
                    case .partBegins(let headers):
                        partType = headers["content-type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                        staging = partType == "application/dicom" ? try StagingFile(in: ingestor.stagingDirectory) : nil
                    case .partBytes(let bytes):
                        try bytes.withUnsafeReadableBytes { raw throws(BlobStoreError) in try staging?.write(raw) }
                    case .partEnds:
                        if let file = staging {
                            staging = nil
                            results.append(await ingest(file, study: study, from: context))
                        } else {
                            results.append(PartResult(failure: .sopClassNotSupported, comment: "a part of type \(partType ?? "none") is not application/dicom"))
                        }
                    }
                }
            }
        } catch let error as MultipartParser.ParseError {
            throw Problem.badRequest("malformed multipart body: \(error)")
        } catch let error as BlobStoreError {
            if case .outOfSpace = error { throw Problem(.serviceUnavailable, "out of space: the instance was not stored") }
            throw Problem.internal("the instance cannot be staged", cause: error)
        }
        guard parser.isComplete else { throw Problem.badRequest("malformed multipart body: \(MultipartParser.ParseError.unterminated)") }
        guard !results.isEmpty else { throw Problem.badRequest("the body holds no instance") }
        return try storeResponse(results, base: baseURL(request))
    }

    /// Ingests one staged part: a Part 10 file whose meta group names its instance.
    private func ingest(_ staging: StagingFile, study: String?, from context: WebContext) async -> PartResult {
        let staged: StagedBlob
        do {
            staged = try staging.finish()
        } catch {
            logger.error("STOW-RS: cannot stage an instance", metadata: ["error": "\(error)"])
            return PartResult(failure: .outOfResources, comment: "the instance cannot be staged; the server log says why")
        }
        // The part is copied into the archive by the import below, or refused: either way it goes.
        defer { staged.discard() }
        var result = PartResult()
        let header: DICOMFile
        do {
            header = try DICOMFile(path: staged.path, options: .headerOnly)
        } catch {
            return PartResult(failure: .cannotUnderstand, comment: "not a DICOM Part 10 file: \(error)")
        }
        result.sopClassUID = header.fileMeta.uid(.mediaStorageSOPClassUID) ?? header.dataSet.uid(.sopClassUID)
        result.sopInstanceUID = header.fileMeta.uid(.mediaStorageSOPInstanceUID) ?? header.dataSet.uid(.sopInstanceUID)
        result.studyInstanceUID = header.dataSet.uid(.studyInstanceUID)
        result.seriesInstanceUID = header.dataSet.uid(.seriesInstanceUID)
        if let study, result.studyInstanceUID != study {
            result.failure = .studyMismatch
            result.comment = "the instance is of study \(result.studyInstanceUID ?? "none"), not \(study)"
            return result
        }
        // The data set goes in behind Lifeboat's own meta group, as an import's does, so the
        // same data set is the same blob however it arrived.
        let provenance = Provenance(source: .stow, peerAddress: context.remoteAddress?.description ?? "")
        switch await Importer(ingestor: ingestor).importFile(at: staged.path, provenance: provenance) {
        case .imported, .keptDamaged:
            break // STOW-RS keeps nothing damaged: it does not ask the importer to
        case .skipped(let why):
            result.failure = .sopClassNotSupported
            result.comment = why
        case .refused(let error):
            result.failure = FailureReason(error.code)
            result.comment = error.message
        }
        return result
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
                    item[Self.retrieveURL] = DataElement(tag: Self.retrieveURL, vr: .UR,
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
