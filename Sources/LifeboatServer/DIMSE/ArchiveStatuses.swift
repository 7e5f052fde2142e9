import Archive
import DICOMNetwork

/// The archive's errors said as DIMSE statuses: the one place they are mapped.
extension DIMSEStatus {
    /// PS3.4 B.2.3: C-STORE's statuses.
    public init(storing code: IngestError.Code) {
        switch code {
        case .cannotUnderstand, .sopInstanceMismatch, .studyMismatch: self = .cannotUnderstand // C000
        case .sopClassMismatch: self = .dataSetDoesNotMatchSOPClass // A900
        case .outOfSpace, .storageFailed, .notReplicated: self = .outOfResources // A700
        case .cannotCopy: self = .processingFailure // 0110 (PS3.7 C.4.2)
        }
    }

    /// PS3.4 C.4.1.1.4 and C.4.2.1.5: A900 for an identifier the model cannot answer, C000 otherwise.
    public init(querying code: QueryError.Code) {
        switch code {
        case .invalidIdentifier: self = .identifierDoesNotMatchSOPClass
        case .unableToProcess: self = .unableToProcess
        }
    }
}

extension ServiceOutcome {
    public init(_ error: IngestError) { self.init(status: DIMSEStatus(storing: error.code), errorComment: error.message) }
    public init(_ error: QueryError) { self.init(status: DIMSEStatus(querying: error.code), errorComment: error.message) }
}
