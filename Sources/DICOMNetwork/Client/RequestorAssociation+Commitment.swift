import DICOM
import NIOCore

/// A Storage Commitment request the SCP refused, or answered with something else than a report.
public struct CommitmentError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Storage Commitment Push Model as SCU (PS3.4 J.3.2): the request on this association; its
/// report on this association or — the SCP's choice, PS3.4 J.3.3 — on one the SCP opens,
/// which is the acceptor's business (`CommitmentReportReceiver`). And, as SCP, a report
/// sent on an association of our own (`report`).
extension RequestorAssociation {
    /// The request and its report, both on this association, waiting as long as it takes:
    /// bound it with `within`.
    public func commit(_ request: StorageCommitment.Request) async throws -> StorageCommitment.Result {
        try await requestCommitment(request)
        while true {
            if let result = try await awaitCommitmentReport(request.transactionUID, before: nil) { return result }
        }
    }

    /// Sends the N-ACTION-RQ and waits for its response (PS3.7 10.1.4). After it the SCU may
    /// release at any time (PS3.4 J.3.2.1.2).
    public func requestCommitment(_ request: StorageCommitment.Request) async throws {
        guard let context = accepted.first(where: { $0.value.abstractSyntax == StorageCommitment.sopClassUID }) else {
            throw AssociationError.noAcceptedContext("Storage Commitment Push Model")
        }
        var action = CommandSet(.nActionRequest, messageID: takeMessageID())
        action.set(.requestedSOPClassUID, uid: StorageCommitment.sopClassUID)
        action.set(.requestedSOPInstanceUID, uid: StorageCommitment.sopInstanceUID)
        action.set(.actionTypeID, StorageCommitment.requestActionType)
        try await send(action, dataSet: request.dataSet, contextID: context.key)
        while true {
            let message = try await receiveMessage()
            guard message.command.field == .nActionResponse, message.command.messageIDBeingRespondedTo == action.messageID else { continue }
            let status = DIMSEStatus(rawValue: message.command.status ?? DIMSEStatus.processingFailure.rawValue)
            guard status.category == .success || status.category == .warning else {
                throw CommitmentError("the commitment request was refused with status \(status)"
                                      + (message.command.errorComment.map { ": \($0)" } ?? ""))
            }
            return
        }
    }

    /// The report of `transactionUID` if it comes on this association before `deadline`
    /// (nil if not: the association stays as it was). Reports of other transactions that
    /// come meanwhile are taken and answered too.
    public func awaitCommitmentReport(_ transactionUID: String, before deadline: ContinuousClock.Instant?) async throws -> StorageCommitment.Result? {
        if let early = earlyReports.removeValue(forKey: transactionUID) { return early }
        while let message = try await receiveMessage(before: deadline) {
            guard Self.isCommitmentReport(message) else { continue }
            let result = try await takeReport(message)
            if result.transactionUID == transactionUID { return result }
            earlyReports[result.transactionUID] = result
        }
        return nil
    }

    static func isCommitmentReport(_ message: Message) -> Bool {
        message.command.field == .nEventReportRequest && message.command.affectedSOPClassUID == StorageCommitment.sopClassUID
    }

    /// Decodes a report, hands it to the configuration's handler and answers it (PS3.7
    /// 10.1.1.1.8) — unless `answering` is false: releasing, this side may receive but not
    /// send (PS3.8 Sta7: AR-6, no Evt9), and the SCP, unanswered, reports again elsewhere.
    func takeReport(_ message: Message, answering: Bool = true) async throws -> StorageCommitment.Result {
        let result: StorageCommitment.Result
        do {
            guard let dataSet = try decode(message) else { throw CommitmentError("the commitment report has no data set") }
            result = try StorageCommitment.Result(dataSet: dataSet)
        } catch let error as DIMSEError {
            if answering { try await answerReport(message, status: StorageCommitment.ReportStatus.invalidArgumentValue) }
            throw CommitmentError(error.message)
        }
        let status = await commitmentReports?(result) ?? .success
        if answering { try await answerReport(message, status: status) }
        return result
    }

    /// The data of a P-DATA-TF that came while releasing (PS3.8 AR-6): a report among it is
    /// kept, though it cannot be answered now.
    func takeDataWhileReleasing(_ data: PDataTF) async throws {
        try assemble(data)
        while let message = try assembleMessage() {
            guard Self.isCommitmentReport(message), let result = try? await takeReport(message, answering: false) else { continue }
            earlyReports[result.transactionUID] = result
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

    /// As Storage Commitment SCP on an association of our own (PS3.4 J.3.3.1.2): the
    /// N-EVENT-REPORT-RQ and the status of its response.
    public func report(_ result: StorageCommitment.Result) async throws -> DIMSEStatus {
        guard let context = accepted.first(where: { $0.value.abstractSyntax == StorageCommitment.sopClassUID }) else {
            throw AssociationError.noAcceptedContext("Storage Commitment Push Model")
        }
        var command = CommandSet(.nEventReportRequest, messageID: takeMessageID())
        command.set(.affectedSOPClassUID, uid: StorageCommitment.sopClassUID)
        command.set(.affectedSOPInstanceUID, uid: StorageCommitment.sopInstanceUID)
        command.set(.eventTypeID, result.eventType.rawValue)
        try await send(command, dataSet: result.dataSet, contextID: context.key)
        return try await awaitResponse(to: command)
    }
}
