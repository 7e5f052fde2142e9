import Archive
import DICOM
import DICOMNetwork
import Foundation
import Logging

/// The C-FIND SCP of the Patient Root and Study Root query/retrieve information models
/// (PS3.4 C.4.1, C.6.1, C.6.2): matches go out as pending responses as they are found.
public struct FindService: QueryProvider {
    public let engine: QueryEngine
    let logger: Logger

    public init(engine: QueryEngine, logger: Logger = Logger(label: "lifeboat.query")) {
        self.engine = engine
        self.logger = logger
    }

    public var findSOPClasses: Set<String> { [SOPClass.patientRootFind, SOPClass.studyRootFind] }

    public func find(_ request: QueryRetrieveRequest, match: @Sendable (DataSet) async throws -> Void) async -> ServiceOutcome {
        let model: InformationModel = request.sopClassUID == SOPClass.patientRootFind ? .patientRoot : .studyRoot
        var count = 0
        let started = ContinuousClock.now
        let outcome: ServiceOutcome
        do {
            let query = try CatalogQuery(identifier: request.identifier, model: model, options: engine.options)
            try await engine.forEachMatch(query) { identifier in
                try await match(identifier)
                count += 1
                return true
            }
            outcome = .success
        } catch let error as QueryError {
            outcome = ServiceOutcome(error)
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
