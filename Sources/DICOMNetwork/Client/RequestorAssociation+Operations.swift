import DICOM
import NIOCore

/// A Storage Commitment request the SCP refused, or answered with something else than a report.
public struct CommitmentError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// C-FIND and Storage Commitment as SCU.
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

    /// Storage Commitment (PS3.4 J.3.2): the N-ACTION-RQ, its response, then the SCP's
    /// N-EVENT-REPORT-RQ with the result, answered by N-EVENT-REPORT-RSP — on this
    /// association. It waits for the report as long as it takes: bound it with `within`.
    public func commit(_ request: StorageCommitment.Request) async throws -> StorageCommitment.Result {
        guard let context = accepted.first(where: { $0.value.abstractSyntax == StorageCommitment.sopClassUID }) else {
            throw AssociationError.noAcceptedContext("Storage Commitment Push Model")
        }
        var action = CommandSet(.nActionRequest, messageID: takeMessageID())
        action.set(.requestedSOPClassUID, uid: StorageCommitment.sopClassUID)
        action.set(.requestedSOPInstanceUID, uid: StorageCommitment.sopInstanceUID)
        action.set(.actionTypeID, StorageCommitment.requestActionType)
        try await send(action, dataSet: request.dataSet, contextID: context.key)
        var acknowledged = false
        while true {
            let message = try await receiveMessage()
            switch message.command.field {
            case .nActionResponse where message.command.messageIDBeingRespondedTo == action.messageID:
                let status = DIMSEStatus(rawValue: message.command.status ?? DIMSEStatus.processingFailure.rawValue)
                guard status.category == .success || status.category == .warning else {
                    throw CommitmentError("the commitment request was refused with status \(status)"
                                          + (message.command.errorComment.map { ": \($0)" } ?? ""))
                }
                acknowledged = true
            case .nEventReportRequest where message.command.affectedSOPClassUID == StorageCommitment.sopClassUID:
                let result: StorageCommitment.Result
                do {
                    guard let dataSet = try decode(message) else { throw CommitmentError("the commitment report has no data set") }
                    result = try StorageCommitment.Result(dataSet: dataSet)
                } catch let error as DIMSEError {
                    try await answerReport(message, status: DIMSEStatus(rawValue: 0x0115))
                    throw CommitmentError(error.message)
                }
                guard result.transactionUID == request.transactionUID else {
                    // Another transaction's report (an earlier one, delivered late): answered, not ours.
                    try await answerReport(message, status: .success)
                    continue
                }
                try await answerReport(message, status: .success)
                if !acknowledged { throw CommitmentError("the commitment report came before the N-ACTION response") }
                return result
            default:
                continue
            }
        }
    }

    /// N-EVENT-REPORT-RSP (PS3.7 10.1.1.1.2).
    private func answerReport(_ report: Message, status: DIMSEStatus) async throws {
        var response = CommandSet(.nEventReportResponse, respondingTo: report.command.messageID ?? 0)
        response.set(.affectedSOPClassUID, uid: StorageCommitment.sopClassUID)
        if let instance = report.command.affectedSOPInstanceUID { response.set(.affectedSOPInstanceUID, uid: instance) }
        if let event = report.command.uint16(.eventTypeID) { response.set(.eventTypeID, event) }
        response.set(.status, status.rawValue)
        try await sendCommand(response, contextID: report.contextID)
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
