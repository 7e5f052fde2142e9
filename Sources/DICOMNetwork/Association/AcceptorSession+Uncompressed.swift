import Codecs
import DICOM
import NIOCore

extension AcceptorSession {
    /// A C-GET sub-operation for an instance the SCU took no context for in its stored
    /// syntax: sent decoded on one it took in Explicit or Implicit VR Little Endian
    /// (`UncompressedCopy`). How the copy was made once it was sent; else why it was not.
    static func storeUncompressed(_ instance: RetrievableInstance, contexts: [AcceptorPolicy.AcceptedContext], command: CommandSet,
                                  sender: DIMSESender) async -> Result<String, CodecError> {
        let name = UIDRegistry.entry(for: instance.sopClassUID)?.name ?? instance.sopClassUID
        let stored = TransferSyntax(uid: instance.transferSyntaxUID)?.name ?? instance.transferSyntaxUID
        let usable = contexts.filter { $0.abstractSyntax == instance.sopClassUID }
        guard let context = FileSender.preferredUncompressed(usable, syntax: \.transferSyntax), let syntax = TransferSyntax(uid: context.transferSyntax) else {
            return .failure(CodecError("no context with the SCP role for \(name) in \(stored) or uncompressed"))
        }
        let copy: UncompressedCopy
        do throws(CodecError) {
            copy = try UncompressedCopy(path: instance.path, to: syntax)
        } catch {
            return .failure(CodecError("the SCU takes \(name) only uncompressed, and this copy cannot be: \(error)", isBusy: error.isBusy))
        }
        var pieces = copy.pieces()
        do {
            try await sender.on(context).send(command) { try pieces.next().map { ByteBuffer(bytes: $0) } }
        } catch {
            // The command and part of the data set went: nothing sound can follow on this
            // association (PS3.8 7.3.1), so it is aborted.
            try? await sender.outbound.write(.abort(.byServiceUser))
            return .failure(CodecError("\(error); the association was aborted part way through this instance"))
        }
        return .success(copy.summary)
    }
}
