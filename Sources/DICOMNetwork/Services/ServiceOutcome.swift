/// How a DIMSE operation ends (PS3.7 C; PS3.4 B.2.3 for C-STORE): the status the SCU is
/// told and, on failure or warning, why.
public struct ServiceOutcome: Sendable, Equatable {
    public var status: DIMSEStatus
    public var errorComment: String?

    public init(status: DIMSEStatus, errorComment: String? = nil) {
        self.status = status
        self.errorComment = errorComment
    }

    public static let success = ServiceOutcome(status: .success)
}

/// An operation refused with a status: out of resources, a data set that does not match, an
/// unknown move destination...
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var outcome: ServiceOutcome
    public init(_ status: DIMSEStatus, _ comment: String) { outcome = ServiceOutcome(status: status, errorComment: comment) }
    public var description: String { "\(outcome.status): \(outcome.errorComment ?? "")" }
}
