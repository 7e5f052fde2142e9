import Codecs
import DICOM
import NIOCore

extension FileSender {
    /// Sends a file the peer took no context for in its stored syntax on the SOP class's
    /// uncompressed context, decoded (or re-encoded) on the way; the outcome says so.
    /// Nothing is sent when no such context was accepted or the copy cannot be made.
    func sendUncompressed(_ file: Prepared, over association: RequestorAssociation) async -> Outcome {
        let name = UIDRegistry.entry(for: file.sopClassUID)?.name ?? file.sopClassUID
        let stored = TransferSyntax(uid: file.transferSyntaxUID)?.name ?? file.transferSyntaxUID
        let accepted = association.accepted.filter { $0.value.abstractSyntax == file.sopClassUID }
        guard let (id, context) = Self.preferredUncompressed(Array(accepted), syntax: \.value.transferSyntax),
              let syntax = TransferSyntax(uid: context.transferSyntax) else {
            return Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: 0, status: nil,
                           problem: "the peer accepted no presentation context for \(name) in \(stored) or uncompressed", unsendable: true)
        }
        let copy: UncompressedCopy
        do throws(CodecError) {
            copy = try UncompressedCopy(path: file.path, to: syntax)
        } catch {
            return Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: 0, status: nil,
                           problem: "the peer takes \(name) only uncompressed, and this copy cannot be: \(error)", unsendable: !error.isBusy)
        }
        var pieces = copy.pieces()
        var bytes = 0
        do {
            let (status, comment) = try await association.store(sopClassUID: file.sopClassUID, sopInstanceUID: file.sopInstanceUID, contextID: id,
                                                                moveOriginator: moveOriginator) {
                guard let piece = try pieces.next() else { return nil }
                bytes += piece.count
                return ByteBuffer(bytes: piece)
            }
            return Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: bytes, status: status, problem: comment,
                           warning: file.warning, transcoded: copy.summary)
        } catch {
            association.markBroken()
            return Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: 0, status: nil, problem: "\(error)", transcoded: copy.summary)
        }
    }
}
