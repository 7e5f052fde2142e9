import DICOM
import DICOMNetwork
import Foundation

/// The C-FIND SCP of the Patient Root and Study Root query/retrieve information models
/// (PS3.4 C.4.1, C.6.1, C.6.2): matches go out as pending responses as they are found.
extension QueryEngine: QueryProvider {
    /// PS3.4 C.6.1.3: Patient Root Query/Retrieve Information Model - FIND.
    public static let patientRootFind = "1.2.840.10008.5.1.4.1.2.1.1"
    /// PS3.4 C.6.2.3: Study Root Query/Retrieve Information Model - FIND.
    public static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"

    public var findSOPClasses: Set<String> { [Self.patientRootFind, Self.studyRootFind] }

    public func find(_ request: QueryRetrieveRequest, match: @Sendable (DataSet) async throws -> Void) async -> ServiceOutcome {
        let model: InformationModel = request.sopClassUID == Self.patientRootFind ? .patientRoot : .studyRoot
        var count = 0
        let started = ContinuousClock.now
        let outcome: ServiceOutcome
        do {
            let query = try CatalogQuery(identifier: request.identifier, model: model, options: options)
            try await forEachMatch(query) { identifier in
                try await match(identifier)
                count += 1
                return true
            }
            outcome = .success
        } catch let error as QueryError {
            // PS3.4 C.4.1.1.4: A900 for an identifier the model cannot answer, C000 otherwise.
            outcome = ServiceOutcome(status: error.code == .invalidIdentifier ? .identifierDoesNotMatchSOPClass : .unableToProcess,
                                     errorComment: error.message)
        } catch is CancellationError {
            outcome = ServiceOutcome(status: .cancel)
        } catch {
            outcome = ServiceOutcome(status: .unableToProcess, errorComment: "\(error)")
        }
        logger.info("C-FIND", metadata: ["from": "\(request.callingAETitle.value)", "source": "\(request.peerAddress)",
                                         "model": "\(model)", "matches": "\(count)", "status": "\(outcome.status)",
                                         "ms": "\((ContinuousClock.now - started).milliseconds)"])
        return outcome
    }
}

extension Duration {
    /// Whole and fractional milliseconds, for log lines.
    var milliseconds: String {
        let (seconds, attoseconds) = components
        return String(format: "%.2f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
