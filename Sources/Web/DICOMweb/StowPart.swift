import Archive
import DICOM
import NIOCore

/// One application/dicom part of a STOW-RS body on its way into the archive. Its preamble
/// and file meta group (PS3.10 7.1) are held until whole; then C-STORE's sink, an
/// `IngestSession`, takes the data set as it arrives, behind Lifeboat's own meta group — so
/// each part is staged once, and the same data set is the same blob however it came.
struct StowPart {
    /// The most a part's preamble and meta group may take: a meta group holds a few UIDs.
    static let metaLimit = 64 << 10

    private enum State {
        case meta([UInt8])
        case dataSet(IngestSession, sopClassUID: String, sopInstanceUID: String)
        /// Refused before its end: the rest of its bytes are ignored.
        case refused(DICOMweb.PartResult)
    }

    private var state = State.meta([])
    let ingestor: Ingestor
    /// The study the request's path names, which the instance must be of.
    let study: String?
    let provenance: Provenance

    init(ingestor: Ingestor, study: String?, provenance: Provenance) {
        self.ingestor = ingestor
        self.study = study
        self.provenance = provenance
    }

    /// The part's next bytes. Throws only when the archive cannot stage them (its disk is full,
    /// its staging fails): the request cannot go on.
    mutating func write(_ bytes: ByteBuffer) throws(IngestError) {
        switch state {
        case .refused:
            return
        case .dataSet(let session, _, _):
            try bytes.withUnsafeReadableBytes { raw throws(IngestError) in try session.write(raw) }
        case .meta(var held):
            held.append(contentsOf: bytes.readableBytesView)
            let found: (fileMeta: DataSet, length: Int)?
            do {
                found = try DICOMFile.fileMeta(atStartOf: held)
            } catch {
                state = .refused(DICOMweb.PartResult(failure: .cannotUnderstand, comment: "not a DICOM Part 10 file: \(error)"))
                return
            }
            guard let (fileMeta, length) = found else {
                state = held.count > Self.metaLimit
                    ? .refused(DICOMweb.PartResult(failure: .cannotUnderstand, comment: "no whole file meta group in the first \(Self.metaLimit) bytes"))
                    : .meta(held)
                return
            }
            try begin(fileMeta, dataSet: held[length...])
        }
    }

    private mutating func begin(_ fileMeta: DataSet, dataSet first: ArraySlice<UInt8>) throws(IngestError) {
        guard let sopClass = fileMeta.uid(.mediaStorageSOPClassUID), let instance = fileMeta.uid(.mediaStorageSOPInstanceUID),
              let syntax = fileMeta.uid(.transferSyntaxUID) else {
            state = .refused(DICOMweb.PartResult(failure: .cannotUnderstand,
                                                 comment: "the file meta information lacks its SOP class, instance or transfer syntax UID"))
            return
        }
        guard sopClass != Importer.mediaStorageDirectory else {
            state = .refused(DICOMweb.PartResult(sopClassUID: sopClass, sopInstanceUID: instance, failure: .sopClassNotSupported,
                                                 comment: "a DICOMDIR is not an instance: store the files it lists"))
            return
        }
        let session: IngestSession
        do {
            session = try IngestSession(ingestor: ingestor, expecting: .init(sopClassUID: sopClass, sopInstanceUID: instance, studyInstanceUID: study),
                                        transferSyntaxUID: syntax, provenance: provenance)
        } catch where error.code == .cannotUnderstand {
            state = .refused(DICOMweb.PartResult(sopClassUID: sopClass, sopInstanceUID: instance, failure: .cannotUnderstand, comment: error.message))
            return
        }
        state = .dataSet(session, sopClassUID: sopClass, sopInstanceUID: instance)
        do {
            try session.write(Array(first))
        } catch {
            session.cancel()
            throw error
        }
    }

    /// The part ended: its instance checked, made durable and recorded, or refused, and why.
    func finish() async -> DICOMweb.PartResult {
        switch state {
        case .refused(let result):
            return result
        case .meta:
            return DICOMweb.PartResult(failure: .cannotUnderstand, comment: "not a DICOM Part 10 file: it ends before its file meta group does")
        case .dataSet(let session, let sopClass, let instance):
            var result = DICOMweb.PartResult(sopClassUID: sopClass, sopInstanceUID: instance)
            do {
                let receipt = try await session.finish()
                result.studyInstanceUID = receipt.studyInstanceUID
                result.seriesInstanceUID = receipt.seriesInstanceUID
            } catch {
                result.failure = DICOMweb.FailureReason(error.code)
                result.comment = error.message
            }
            return result
        }
    }

    /// The request ended before the part did: nothing of it may remain.
    func cancel() {
        if case .dataSet(let session, _, _) = state { session.cancel() }
    }
}
