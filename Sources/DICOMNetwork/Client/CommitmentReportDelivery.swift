import DICOM

/// Storage Commitment reports that could not be given on the request's association (the SCU
/// released it first): each goes to the SCU on an association of our own, where we propose
/// the SCP role (PS3.4 J.3.3.1.2, PS3.7 D.3.3.4), tried again with a doubling delay until
/// the attempts run out. What happens is told to `events`, for the log and the audit trail.
public actor CommitmentReportDelivery {
    public struct Options: Sendable {
        public var callingAETitle: AETitle
        public var attempts: Int
        public var firstDelay: Duration
        public var maximumDelay: Duration

        public init(callingAETitle: AETitle, attempts: Int = 10, firstDelay: Duration = .seconds(2), maximumDelay: Duration = .seconds(600)) {
            self.callingAETitle = callingAETitle
            self.attempts = max(1, attempts)
            self.firstDelay = firstDelay
            self.maximumDelay = maximumDelay
        }
    }

    public enum Event: Sendable, Equatable {
        case delivered(transactionUID: String, to: String, attempt: Int)
        case retrying(transactionUID: String, to: String, attempt: Int, problem: String, after: Duration)
        case gaveUp(transactionUID: String, to: String, attempts: Int, problem: String)
        /// No address is configured for the SCU (dicom-nodes, or a dicom-peers entry with a port).
        case noAddress(transactionUID: String, aeTitle: String)
    }

    let options: Options
    /// Where an SCU is, by its AE title and the address it called from; nil when unknown.
    let locate: @Sendable (AETitle, String) -> DICOMNode?
    let events: @Sendable (Event) -> Void
    private var running: [String: Task<Void, Never>] = [:]

    public init(options: Options, locate: @escaping @Sendable (AETitle, String) -> DICOMNode?, events: @escaping @Sendable (Event) -> Void) {
        self.options = options
        self.locate = locate
        self.events = events
    }

    /// Starts delivering `result` to the SCU that asked from `aeTitle` at `address`; returns at once.
    public func deliver(_ result: StorageCommitment.Result, to aeTitle: AETitle, address: String) {
        guard let node = locate(aeTitle, address) else {
            return events(.noAddress(transactionUID: result.transactionUID, aeTitle: aeTitle.value))
        }
        guard running[result.transactionUID] == nil else { return }
        let (options, events) = (options, events)
        running[result.transactionUID] = Task {
            var delay = options.firstDelay
            for attempt in 1...options.attempts {
                let problem: String
                do {
                    let status = try await Self.send(result, to: node, from: options.callingAETitle)
                    if status.category == .success || status.category == .warning {
                        events(.delivered(transactionUID: result.transactionUID, to: node.description, attempt: attempt))
                        break
                    }
                    problem = "answered with status \(status)"
                } catch {
                    problem = "\(error)"
                }
                guard attempt < options.attempts, !Task.isCancelled else {
                    events(.gaveUp(transactionUID: result.transactionUID, to: node.description, attempts: attempt, problem: problem))
                    break
                }
                events(.retrying(transactionUID: result.transactionUID, to: node.description, attempt: attempt, problem: problem, after: delay))
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, options.maximumDelay)
            }
            await self.finished(result.transactionUID)
        }
    }

    private func finished(_ transactionUID: String) { running[transactionUID] = nil }

    /// Waits until every delivery under way has ended (for tests and an orderly stop).
    public func settle() async {
        while let task = running.values.first { await task.value }
    }

    /// Stops every delivery under way.
    public func cancelAll() {
        for task in running.values { task.cancel() }
    }

    /// One attempt: an association proposing Storage Commitment with the SCP role, the report, release.
    static func send(_ result: StorageCommitment.Result, to node: DICOMNode, from callingAETitle: AETitle) async throws -> DIMSEStatus {
        var configuration = RequestorAssociation.Configuration(host: node.host, port: node.port, callingAETitle: callingAETitle, calledAETitle: node.aeTitle)
        configuration.roleSelections = [RoleSelection(sopClassUID: StorageCommitment.sopClassUID, scuRole: false, scpRole: true)]
        let context = ProposedPresentationContext(id: 1, abstractSyntax: StorageCommitment.sopClassUID,
                                                  transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid])
        return try await withDeadline(.seconds(60), "the storage commitment report to \(node.description)") { [configuration] in
            try await RequestorAssociation.withAssociation(configuration, proposing: [context]) { try await $0.report(result) }
        }
    }
}
