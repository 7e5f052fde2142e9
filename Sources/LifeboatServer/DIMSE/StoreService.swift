import Archive
import DICOMNetwork
import NIOCore

/// The Storage SCP (PS3.4 B.2): each C-STORE's data set goes through an `IngestSession`,
/// and the archive's answer goes back as a DIMSE status.
public struct StoreService: StoreProvider {
    public let ingestor: Ingestor

    public init(ingestor: Ingestor) { self.ingestor = ingestor }

    public func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        let provenance = Provenance(source: .dimse, callingAETitle: request.callingAETitle.value, calledAETitle: request.calledAETitle.value,
                                    peerAddress: request.peerAddress)
        do {
            return Sink(session: try IngestSession(ingestor: ingestor,
                                                   expecting: .init(sopClassUID: request.sopClassUID, sopInstanceUID: request.sopInstanceUID),
                                                   transferSyntaxUID: request.transferSyntaxUID, provenance: provenance))
        } catch {
            throw ServiceError(DIMSEStatus(storing: error.code), error.message)
        }
    }

    struct Sink: StoreSink {
        let session: IngestSession

        func write(_ fragment: ByteBuffer) async throws {
            do {
                try fragment.withUnsafeReadableBytes { raw throws(IngestError) in try session.write(raw) }
            } catch {
                throw ServiceError(DIMSEStatus(storing: error.code), error.message)
            }
        }

        func finish() async -> ServiceOutcome {
            do {
                _ = try await session.finish()
                return .success
            } catch {
                return ServiceOutcome(error)
            }
        }

        func cancel() async { session.cancel() }
    }
}
