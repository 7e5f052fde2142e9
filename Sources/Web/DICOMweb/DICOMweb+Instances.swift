import Archive
import Codecs
import DICOM
import Hummingbird
import Logging

/// WADO-RS retrieval of instances (PS3.18 10.4): as stored, or — when the Accept header asks
/// for an uncompressed syntax — decoded on the way (`InstanceNegotiation`).
extension DICOMweb {
    func retrieve(_ request: Request, _ uids: [Tag: String]) async throws -> Response {
        let negotiation = InstanceNegotiation(accept: request.headers[.accept])
        let found = try await instances(uids)
        // Every instance's form is settled before the answer begins: one that cannot be given is a 406 naming it.
        var forms: [InstanceNegotiation.Form] = []
        var multipart = true
        for instance in found {
            let syntax = TransferSyntax(uid: instance.transferSyntaxUID) ?? TransferSyntax(uid: instance.transferSyntaxUID, isExplicitVR: true, isEncapsulated: true)
            guard let (form, inMultipart) = negotiation.form(storedIn: syntax, decodable: FrameDecoder.decodes(syntax.uid)) else {
                let offered = ["* (as stored)", syntax.uid, TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]
                let syntaxes = offered.enumerated().filter { offered.firstIndex(of: $0.element) == $0.offset }.map(\.element)
                throw Problem.notAcceptable("instance \(instance.sopInstanceUID) is stored in \(syntax.name): instances go as multipart/related; "
                                            + "type=\"application/dicom\" (single-part application/dicom for one) with transfer-syntax "
                                            + syntaxes.joined(separator: ", "))
            }
            forms.append(form)
            multipart = multipart && inMultipart
        }
        guard multipart || found.count == 1 else {
            throw Problem.notAcceptable("\(found.count) instances go only as multipart/related; type=\"application/dicom\"")
        }
        let logger = self.logger, blobs = engine.blobs
        let chosen = forms
        // One instance: its copy is made (its first frame decoded) before the answer begins, so a failure is a status, not a cut body.
        let first = found.count == 1 ? try await Self.copy(found[0], as: forms[0], from: blobs, logger: logger) : nil
        if !multipart {
            var headers = HTTPFields()
            headers[.contentType] = "application/dicom; transfer-syntax=\(Self.syntax(of: found[0], in: chosen[0]))"
            return Response(status: .ok, headers: headers, body: ResponseBody { (writer: inout any ResponseBodyWriter) in
                try await Self.write(found[0], as: chosen[0], prepared: first, from: blobs, to: &writer, logger: logger)
                try await writer.finish(nil)
            })
        }
        let boundary = Multipart.makeBoundary()
        var headers = HTTPFields()
        headers[.contentType] = "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"
        let body = ResponseBody { (writer: inout any ResponseBodyWriter) in
            for (index, instance) in found.enumerated() {
                // The next files are read from the disk while this one is sent.
                for next in found.dropFirst(index + 1).prefix(Self.readAhead) { next.path.flatMap { try? OpenFile(path: $0) }?.willNeed() }
                try await writer.write(Multipart.partHeader(boundary: boundary, contentType: "application/dicom; transfer-syntax=\(Self.syntax(of: instance, in: chosen[index]))",
                                                            first: index == 0))
                try await Self.write(instance, as: chosen[index], prepared: index == 0 ? first : nil, from: blobs, to: &writer, logger: logger)
            }
            try await writer.write(Multipart.closing(boundary: boundary, empty: found.isEmpty))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func syntax(of instance: StoredInstance, in form: InstanceNegotiation.Form) -> String {
        switch form {
        case .stored: instance.transferSyntaxUID
        case .uncompressed(let target): target.uid
        }
    }

    /// The uncompressed copy an instance goes as, made from a file checked first; nil when it goes as stored.
    static func copy(_ instance: StoredInstance, as form: InstanceNegotiation.Form, from blobs: any BlobStore, logger: Logger) async throws -> UncompressedCopy? {
        guard case .uncompressed(let target) = form, instance.transferSyntaxUID != target.uid else { return nil }
        guard let path = instance.path else { throw Problem(.internalServerError, "instance \(instance.sopInstanceUID) has no local file") }
        // Zero-loss invariant 3: a file read to be transcoded must still hash to its name.
        try await readVerified(instance, from: blobs, logger: logger)
        do throws(CodecError) {
            return try UncompressedCopy(path: path, to: target)
        } catch {
            logger.error("an instance could not be decoded for a WADO-RS retrieve", metadata: ["instance": "\(instance.sopInstanceUID)", "reason": "\(error)"])
            if error.isBusy { throw Problem(.serviceUnavailable, "instance \(instance.sopInstanceUID): \(error)") }
            throw Problem(.notAcceptable, "instance \(instance.sopInstanceUID) cannot be decoded: \(error); retrieve it as stored (transfer-syntax=*)")
        }
    }

    /// Writes an instance in its form: the stored file checked against its SHA-256 as it goes,
    /// or an uncompressed copy (`prepared`, or made here) a frame at a time.
    static func write(_ instance: StoredInstance, as form: InstanceNegotiation.Form, prepared: UncompressedCopy?, from blobs: any BlobStore,
                      to writer: inout any ResponseBodyWriter, logger: Logger) async throws {
        let made = if let prepared { prepared } else { try await copy(instance, as: form, from: blobs, logger: logger) }
        guard let copy = made else {
            return try await stream(instance, from: blobs, to: &writer, logger: logger)
        }
        var pieces = copy.pieces()
        let header: [UInt8]
        do throws(CodecError) {
            header = try copy.fileHeader()
        } catch {
            throw Problem(.internalServerError, "instance \(instance.sopInstanceUID): \(error)")
        }
        try await writer.write(ByteBuffer(bytes: header))
        while true {
            let piece: [UInt8]?
            do throws(CodecError) {
                piece = try pieces.next()
            } catch {
                logger.error("an instance could not be decoded for a WADO-RS retrieve", metadata: ["instance": "\(instance.sopInstanceUID)", "reason": "\(error)"])
                throw Problem(.internalServerError, "instance \(instance.sopInstanceUID) cannot be decoded: \(error)")
            }
            guard let piece else { break }
            try await writer.write(ByteBuffer(bytes: piece))
        }
    }

}
