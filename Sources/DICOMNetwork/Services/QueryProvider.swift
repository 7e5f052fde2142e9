import DICOM

/// What a C-FIND, C-MOVE or C-GET request asks (PS3.7 9.1.2.1, 9.1.3.1, 9.1.4.1): the
/// information model, by its SOP class, and the identifier of keys; and who asks.
public struct QueryRetrieveRequest: Sendable {
    public var sopClassUID: String
    public var identifier: DataSet
    public var callingAETitle: AETitle
    public var calledAETitle: AETitle
    public var peerAddress: String

    public init(sopClassUID: String, identifier: DataSet, callingAETitle: AETitle, calledAETitle: AETitle, peerAddress: String = "") {
        self.sopClassUID = sopClassUID
        self.identifier = identifier
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.peerAddress = peerAddress
    }
}

/// The hook a C-FIND SCP answers through (PS3.4 C.4.1).
public protocol QueryProvider: Sendable {
    /// The FIND SOP classes answered.
    var findSOPClasses: Set<String> { get }

    /// Answers a C-FIND: `match` sends each matching identifier as a pending response, as
    /// soon as it is found; the outcome returned is the final response. Once the SCU has sent
    /// C-CANCEL (PS3.4 C.4.1.2.3) or the association has ended, `match` throws
    /// `CancellationError`: stop then, and the SCU is told Cancel.
    func find(_ request: QueryRetrieveRequest, match: @Sendable (DataSet) async throws -> Void) async -> ServiceOutcome
}
