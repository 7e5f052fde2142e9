import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers

/// How failback confirms what it sent: Storage Commitment (PS3.4 J.3) when the PACS offers
/// it — the report taken on the request's association or on one the PACS opens to this
/// node's server, both kept in the commitment store —, else an IMAGE-level query per study.
extension Failback {
    /// How a batch's confirmation stands once its request has been answered.
    enum Confirmed: Sendable {
        /// How the instances sent were confirmed, and why those that were not (by SOP Instance UID).
        case done(FailbackReport.Confirmation, [String: String])
        /// The report did not come on the association within the grace: it is looked for in
        /// the commitment store until `deadline`, and the association should be released.
        case awaiting(transactionUID: String, instances: [FailbackInstance], deadline: ContinuousClock.Instant)
    }

    /// How often the commitment store is looked at for a report that came on another association.
    static let reportPoll: Duration = .milliseconds(100)

    func confirm(_ sent: [(study: String, instances: [FailbackInstance])], commitment: CommitmentSupport,
                 over association: RequestorAssociation?) async -> Confirmed {
        let all = sent.flatMap(\.instances)
        if commitment.offered {
            let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(),
                                                    references: all.map { .init(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) })
            let deadline = ContinuousClock.now + options.commitTimeout
            let grace = commitment.reportsElsewhere ? .zero : options.commitGrace
            do {
                try await commitments.recordCommitmentRequest(transactionUID: request.transactionUID, node: options.node.aeTitle.value, instances: all.count)
                let report = if let association {
                    try await requestAndAwait(request, over: association, grace: grace, commitment: commitment)
                } else {
                    try await withDeadline(options.commitTimeout, "the storage commitment request to \(options.node.aeTitle.value)") { [self] in
                        // The association is released once the grace is over: the report may then come on another.
                        try await RequestorAssociation.withAssociation(self.association, proposing: Self.proposal(storing: [])) { association in
                            try await requestAndAwait(request, over: association, grace: grace, commitment: commitment)
                        }
                    }
                }
                guard let report else { return .awaiting(transactionUID: request.transactionUID, instances: all, deadline: deadline) }
                return .done(.storageCommitment, Self.problems(report, all))
            } catch AssociationError.noAcceptedContext {
                commitment.markNotOffered()
            } catch {
                return .done(.storageCommitment, Dictionary(all.map { ($0.sopInstanceUID, "storage commitment failed: \(error)") }) { first, _ in first })
            }
        }
        return .done(.query, await confirmByQuery(sent, over: association))
    }

    /// Sends the request on `association` and waits `grace` for its report there or in the
    /// commitment store (it may come on another association meanwhile); nil if it has not come.
    private func requestAndAwait(_ request: StorageCommitment.Request, over association: RequestorAssociation, grace: Duration,
                                 commitment: CommitmentSupport) async throws -> CommitmentReport? {
        let transaction = request.transactionUID
        try await association.within(options.commitTimeout, "the storage commitment response from \(options.node.aeTitle.value)") {
            try await association.requestCommitment(request)
        }
        let end = ContinuousClock.now + grace
        while true {
            if let result = try await association.awaitCommitmentReport(transaction, before: min(end, .now + Self.reportPoll)) {
                return CommitmentReport(result, reportedBy: options.node.aeTitle.value, sameAssociation: true)
            }
            if let report = try await commitments.commitmentReport(transaction) {
                if !report.sameAssociation { commitment.markReportsElsewhere() }
                return report
            }
            if ContinuousClock.now >= end { return nil }
        }
    }

    /// Waits in the commitment store for a report that is to come on an association the PACS opens to
    /// this node's server; what was not confirmed by `deadline`, and why.
    func awaitReportElsewhere(_ transaction: String, instances: [FailbackInstance], until deadline: ContinuousClock.Instant,
                              commitment: CommitmentSupport) async -> [String: String] {
        var problem = "no storage commitment report from \(options.node.aeTitle.value) within \(options.commitTimeout)"
        while true {
            do {
                if let report = try await commitments.commitmentReport(transaction) {
                    if !report.sameAssociation { commitment.markReportsElsewhere() }
                    return Self.problems(report, instances)
                }
            } catch {
                problem = "the commitment store cannot be read for the storage commitment report: \(error)"
            }
            guard ContinuousClock.now < deadline else { break }
            try? await Task.sleep(for: Self.reportPoll)
        }
        return Dictionary(instances.map { ($0.sopInstanceUID, problem) }) { first, _ in first }
    }

    /// The instances a report does not commit, and why.
    static func problems(_ report: CommitmentReport, _ instances: [FailbackInstance]) -> [String: String] {
        var problems: [String: String] = [:]
        for failure in report.failed {
            problems[failure.reference.sopInstanceUID] = "not committed: \(StorageCommitment.FailureReason.describe(failure.reason))"
        }
        let committed = Set(report.committed.map(\.sopInstanceUID))
        for instance in instances where !committed.contains(instance.sopInstanceUID) && problems[instance.sopInstanceUID] == nil {
            problems[instance.sopInstanceUID] = "not named in the commitment report"
        }
        return problems
    }

    /// The PACS offers no Storage Commitment: an IMAGE-level query per study, on `association`
    /// or on one of its own, must find every instance sent.
    private func confirmByQuery(_ sent: [(study: String, instances: [FailbackInstance])], over association: RequestorAssociation?) async -> [String: String] {
        let all = sent.flatMap(\.instances)
        do {
            func held(over association: RequestorAssociation) async throws -> Set<String> {
                var held = Set<String>()
                for (study, instances) in sent where !instances.isEmpty {
                    held.formUnion(try await PACSComparison(association: association).sopInstances(study: study))
                }
                return held
            }
            let found = if let association, !association.isBroken {
                try await held(over: association)
            } else {
                try await RequestorAssociation.withAssociation(self.association, proposing: Self.proposal(storing: [])) { try await held(over: $0) }
            }
            let missing = all.filter { !found.contains($0.sopInstanceUID) }.map { ($0.sopInstanceUID, "accepted, but a query afterwards does not find it") }
            return Dictionary(missing) { first, _ in first }
        } catch {
            return Dictionary(all.map { ($0.sopInstanceUID, "the confirming query failed: \(error)") }) { first, _ in first }
        }
    }
}

/// What the senders learn of the PACS: whether it offers Storage Commitment (assumed until an
/// association says otherwise), and whether it reports on associations of its own (then a
/// sender releases its association as soon as the request is answered).
final class CommitmentSupport: Sendable {
    private struct State {
        var notOffered = false
        var reportsElsewhere = false
    }

    private let state = NIOLockedValueBox(State())
    var offered: Bool { !state.withLockedValue { $0.notOffered } }
    var reportsElsewhere: Bool { state.withLockedValue { $0.reportsElsewhere } }
    func markNotOffered() { state.withLockedValue { $0.notOffered = true } }
    func markReportsElsewhere() { state.withLockedValue { $0.reportsElsewhere = true } }
}
