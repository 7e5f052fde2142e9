import NIOCore

/// What a C-STORE request says about the instance coming (PS3.7 9.1.1).
public struct StoreRequest: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// The transfer syntax of the presentation context: how the data set is encoded.
    public var transferSyntaxUID: String
    public var callingAETitle: AETitle
    public var calledAETitle: AETitle
    public var messageID: UInt16
    public var priority: UInt16
    /// Where the association comes from, for the record.
    public var peerAddress: String

    public init(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, callingAETitle: AETitle,
                calledAETitle: AETitle, messageID: UInt16, priority: UInt16 = 0, peerAddress: String = "") {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.messageID = messageID
        self.priority = priority
        self.peerAddress = peerAddress
    }
}

/// The service hook the archive plugs into: it receives each C-STORE's data set as a
/// stream and decides the status. The response goes out only when `finish` returns, so
/// what `finish` acknowledges must already be durable.
public protocol StoreProvider: Sendable {
    /// A C-STORE request has arrived; its data set follows through the sink.
    /// Throwing a `ServiceError` refuses it with that status.
    func beginStore(_ request: StoreRequest) async throws -> any StoreSink
}

/// Receives one data set, fragment by fragment, in the presentation context's transfer syntax.
public protocol StoreSink: Sendable {
    func write(_ fragment: ByteBuffer) async throws
    /// The last fragment has been written: make it durable and say how it went.
    func finish() async -> ServiceOutcome
    /// The association ended before the data set did: nothing of it may remain.
    func cancel() async
}
