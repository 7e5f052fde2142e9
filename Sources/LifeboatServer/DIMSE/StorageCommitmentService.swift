import Archive
import DICOMNetwork

/// Storage Commitment as SCP (PS3.4 J.3.3): an instance is committed when the catalog
/// records it — which it does only once its blob is durable (zero-loss invariant 1) — under
/// the SOP class the request names. A report the SCU could not be given on its association
/// goes to `deliverLater`, which sends it on an association of our own.
public struct StorageCommitmentService: CommitmentProvider {
    let catalog: Catalog
    let deliverLater: (@Sendable (StorageCommitment.Result, AETitle, String) async -> Void)?

    public init(catalog: Catalog, deliverLater: (@Sendable (StorageCommitment.Result, AETitle, String) async -> Void)? = nil) {
        self.catalog = catalog
        self.deliverLater = deliverLater
    }

    public func commit(_ request: StorageCommitment.Request, from callingAETitle: AETitle, address: String) async -> StorageCommitment.Result {
        let held: [String: String]
        do {
            held = try await catalog.sopClasses(of: request.references.map(\.sopInstanceUID))
        } catch {
            // The catalog cannot be read: nothing is committed, and the SCU may ask again.
            return StorageCommitment.Result(transactionUID: request.transactionUID, committed: [], failed: request.references.map {
                .init(reference: $0, reason: StorageCommitment.FailureReason.processingFailure)
            })
        }
        var committed: [StorageCommitment.Reference] = []
        var failed: [StorageCommitment.Result.Failure] = []
        for reference in request.references {
            switch held[reference.sopInstanceUID] {
            case reference.sopClassUID: committed.append(reference)
            case nil: failed.append(.init(reference: reference, reason: StorageCommitment.FailureReason.noSuchObjectInstance))
            default: failed.append(.init(reference: reference, reason: StorageCommitment.FailureReason.classInstanceConflict))
            }
        }
        return StorageCommitment.Result(transactionUID: request.transactionUID, committed: committed, failed: failed)
    }

    public func undelivered(_ result: StorageCommitment.Result, to callingAETitle: AETitle, address: String) async {
        await deliverLater?(result, callingAETitle, address)
    }
}
