import DICOM
import NIOCore

/// C-FIND as SCU.
extension RequestorAssociation {
    /// C-FIND (PS3.7 9.1.2): the identifiers of the pending responses, and the final status.
    public func find(_ identifier: DataSet, sopClassUID: String) async throws -> (matches: [DataSet], status: DIMSEStatus) {
        guard let context = accepted.first(where: { $0.value.abstractSyntax == sopClassUID }) else {
            throw AssociationError.noAcceptedContext(UIDRegistry.entry(for: sopClassUID)?.name ?? sopClassUID)
        }
        var command = CommandSet(.cFindRequest, messageID: takeMessageID())
        command.set(.affectedSOPClassUID, uid: sopClassUID)
        command.set(.priority, 0)
        try await send(command, dataSet: identifier, contextID: context.key)
        var matches: [DataSet] = []
        while true {
            let message = try await receiveMessage()
            guard message.command.field == .cFindResponse, message.command.messageIDBeingRespondedTo == command.messageID else { continue }
            guard let raw = message.command.status else { throw AssociationError.protocolError("a C-FIND response without a status") }
            let status = DIMSEStatus(rawValue: raw)
            guard status.category == .pending else {
                lastResponse = message.command
                return (matches, status)
            }
            if let match = try decode(message) { matches.append(match) }
        }
    }
}

/// Why an operation was given up.
public struct DeadlineExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    public let what: String
    public let after: Duration
    public init(_ what: String, after: Duration) {
        self.what = what
        self.after = after
    }
    public var description: String { "\(what): no answer within \(after)" }
}

/// Runs `operation`, cancelling it once `limit` has passed (a requested association then
/// closes as soon as it notices).
public func withDeadline<Result: Sendable>(_ limit: Duration, _ what: String,
                                           _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw DeadlineExceeded(what, after: limit) }
        return result
    }
}
