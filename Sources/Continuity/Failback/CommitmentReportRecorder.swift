import Archive
import DICOMNetwork
import Foundation
import Logging

/// Storage Commitment as SCU: a report an SCP sends on an association it opens (PS3.4
/// J.3.3.1.3) is kept in the commitment store — durably, before it is answered — if it answers a
/// request of this node; whoever made the request (a failback in this process or in
/// another) finds it there.
public struct CommitmentReportRecorder: CommitmentReportReceiver {
    let store: any CommitmentStore
    let logger: Logger

    public init(store: any CommitmentStore, logger: Logger = Logger(label: "lifeboat.commitment")) {
        self.store = store
        self.logger = logger
    }

    public func received(_ result: StorageCommitment.Result, from callingAETitle: AETitle, address: String) async -> ServiceOutcome {
        let from = "\(callingAETitle.value) at \(address)"
        do {
            switch try await store.record(CommitmentReport(result, reportedBy: callingAETitle.value, sameAssociation: false)) {
            case .recorded:
                logger.info("storage commitment report \(result.transactionUID) from \(from): \(result.committed.count) committed, \(result.failed.count) failed")
                return .success
            case .duplicate:
                logger.notice("storage commitment report \(result.transactionUID) from \(from) came again: the first one stands")
                return .success
            case .unknownTransaction:
                logger.warning("storage commitment report \(result.transactionUID) from \(from) refused: no such transaction was requested here")
                return ServiceOutcome(status: StorageCommitment.ReportStatus.processingFailure,
                                      errorComment: "no commitment transaction \(result.transactionUID) was requested here")
            }
        } catch {
            // Not kept: the SCP is told it failed, and may send it again.
            logger.error("storage commitment report \(result.transactionUID) from \(from) could not be recorded: \(error)")
            return ServiceOutcome(status: StorageCommitment.ReportStatus.processingFailure, errorComment: "the report could not be recorded")
        }
    }
}

extension CommitmentReport {
    /// A report as the network gave it.
    public init(_ result: StorageCommitment.Result, reportedBy: String, receivedAt: Date = Date(), sameAssociation: Bool) {
        self.init(transactionUID: result.transactionUID, reportedBy: reportedBy, receivedAt: receivedAt, sameAssociation: sameAssociation,
                  committed: result.committed.map { Reference(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) },
                  failed: result.failed.map {
                      Failure(reference: Reference(sopClassUID: $0.reference.sopClassUID, sopInstanceUID: $0.reference.sopInstanceUID), reason: $0.reason)
                  })
    }
}
