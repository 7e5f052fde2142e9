import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers

/// Gives a restored PACS back what it lacks: every study held here is compared with the PACS
/// (`PACSComparison`), in `FailbackOrder`; each study's missing instances go by C-STORE —
/// several studies at once, each checked against its SHA-256 just before it is sent, failures
/// of the connection or of resources tried again — and are then confirmed by Storage
/// Commitment (PS3.4 J.3), or by query where the PACS offers none. A run that is interrupted
/// is resumed by running it again: the comparison finds only what is still missing.
public struct Failback: Sendable {
    public struct Options: Sendable {
        public var node: DICOMNode
        public var callingAETitle: AETitle
        /// When the PACS was down: what arrived then goes first.
        public var downtime: [DateInterval]
        /// Studies sent at once, each over an association of its own.
        public var concurrency: Int
        /// Tries per instance when the connection fails or the PACS is out of resources.
        public var attempts: Int
        public var retryDelay: Duration
        /// How long a Storage Commitment report is waited for.
        public var commitTimeout: Duration

        public init(node: DICOMNode, callingAETitle: AETitle, downtime: [DateInterval] = [], concurrency: Int = 2, attempts: Int = 3,
                    retryDelay: Duration = .seconds(2), commitTimeout: Duration = .seconds(60)) {
            self.node = node
            self.callingAETitle = callingAETitle
            self.downtime = downtime
            self.concurrency = max(1, concurrency)
            self.attempts = max(1, attempts)
            self.retryDelay = retryDelay
            self.commitTimeout = commitTimeout
        }

        var association: RequestorAssociation.Configuration {
            .init(host: node.host, port: node.port, callingAETitle: callingAETitle, calledAETitle: node.aeTitle)
        }
    }

    /// A study whose missing instances are known.
    struct Work: Sendable {
        let study: FailbackStudy
        let duringDowntime: Bool
        let missing: [FailbackInstance]
    }

    let catalog: Catalog
    let blobs: any BlobStore
    let options: Options

    public init(catalog: Catalog, blobs: any BlobStore, options: Options) {
        self.catalog = catalog
        self.blobs = blobs
        self.options = options
    }

    /// Compares and sends; `progress` hears each study once it is done.
    public func run(progress: @escaping @Sendable (FailbackReport.Study) async -> Void = { _ in }) async throws -> FailbackReport {
        let started = Date()
        let ordered = FailbackOrder.order(try await catalog.failbackStudies(), downtime: options.downtime)
        let (work, queue) = AsyncStream.makeStream(of: Work.self)
        let commitment = CommitmentSupport()
        let results = NIOLockedValueBox<[(Int, FailbackReport.Study)]>([])
        let compared = try await withThrowingTaskGroup(of: Int.self) { group in
            // One association compares, in order, and hands each lacking study to the senders.
            group.addTask {
                defer { queue.finish() }
                return try await compare(ordered, into: queue)
            }
            // The senders: at most `concurrency` studies at once, taken in the order compared.
            group.addTask {
                await withTaskGroup(of: Void.self) { senders in
                    var running = 0
                    var index = 0
                    for await next in work {
                        if running == options.concurrency {
                            await senders.next()
                            running -= 1
                        }
                        index += 1
                        senders.addTask { [index] in
                            let study = await send(next, commitment: commitment)
                            results.withLockedValue { $0.append((index, study)) }
                            await progress(study)
                        }
                        running += 1
                    }
                }
                return 0
            }
            var compared = 0
            for try await count in group { compared += count }
            return compared
        }
        let studies = results.withLockedValue { $0 }.sorted { $0.0 < $1.0 }.map(\.1)
        return FailbackReport(node: options.node.description, startedAt: started, endedAt: Date(), studiesCompared: compared,
                              studiesAlreadyHeld: compared - studies.count, studies: studies)
    }

    /// Compares every study over one association; returns how many were compared.
    private func compare(_ ordered: [(study: FailbackStudy, duringDowntime: Bool)], into queue: AsyncStream<Work>.Continuation) async throws -> Int {
        guard !ordered.isEmpty else { return 0 }
        let context = ProposedPresentationContext(id: 1, abstractSyntax: PACSComparison.studyRootFind,
                                                  transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid])
        do {
            return try await RequestorAssociation.withAssociation(options.association, proposing: [context]) { association in
                let comparison = PACSComparison(association: association)
                for (study, duringDowntime) in ordered {
                    let instances = try await catalog.failbackInstances(study: study.studyInstanceUID)
                    let missing = try await comparison.missing(study: study.studyInstanceUID, instances: instances)
                    if !missing.isEmpty { queue.yield(Work(study: study, duringDowntime: duringDowntime, missing: missing)) }
                }
                return ordered.count
            }
        } catch let error as FailbackError {
            throw error
        } catch let error as AssociationError {
            throw FailbackError.queryFailed("\(error)")
        } catch {
            throw FailbackError.unreachable("\(options.node.aeTitle.value) at \(options.node.host):\(options.node.port): \(error)")
        }
    }

    /// Sends one study's missing instances, then has them confirmed.
    private func send(_ work: Work, commitment: CommitmentSupport) async -> FailbackReport.Study {
        let blobs = self.blobs
        let byPath = Dictionary(work.missing.compactMap { instance in blobs.localPath(of: instance.blob).map { ($0, instance) } }) { first, _ in first }
        var refused: [FailbackReport.Refusal] = work.missing.filter { blobs.localPath(of: $0.blob) == nil }.map {
            .init(sopInstanceUID: $0.sopInstanceUID, status: nil, reason: "its blob is not in the local store")
        }
        var sent: [FailbackInstance] = []
        var bytes = 0
        var pending = work.missing.compactMap { blobs.localPath(of: $0.blob) }
        let sender = FileSender(configuration: options.association)
        for attempt in 1...options.attempts where !pending.isEmpty {
            if attempt > 1 { try? await Task.sleep(for: options.retryDelay * (1 << (attempt - 2))) }
            let outcomes = await sender.send(pending, check: { path in
                guard let instance = byPath[path] else { return nil }
                // Zero-loss invariant 3: what goes out must still hash to its name.
                do {
                    return try await blobs.verify(instance.blob) ? nil : "the local copy does not match its SHA-256: not sent"
                } catch {
                    return "the local copy cannot be read: \(error)"
                }
            })
            var retry: [String] = []
            for outcome in outcomes {
                guard let instance = byPath[outcome.path] else { continue }
                if outcome.succeeded {
                    sent.append(instance)
                    bytes += outcome.bytes
                } else if Self.isTransient(outcome), attempt < options.attempts {
                    retry.append(outcome.path)
                } else {
                    refused.append(.init(sopInstanceUID: instance.sopInstanceUID, status: outcome.status?.description,
                                         reason: outcome.problem ?? (outcome.status.map { "refused with status \($0)" } ?? "not sent")))
                }
            }
            // Files the sender never reached (it stopped) are tried again too.
            let answered = Set(outcomes.map(\.path))
            pending = retry + pending.filter { !answered.contains($0) }
        }
        var study = FailbackReport.Study(studyInstanceUID: work.study.studyInstanceUID, lastReceivedAt: work.study.lastReceivedAt,
                                         duringDowntime: work.duringDowntime, missing: work.missing.count, sent: sent.count, bytes: bytes,
                                         confirmed: 0, confirmedBy: .none, refused: refused, unconfirmed: [])
        guard !sent.isEmpty else { return study }
        (study.confirmedBy, study.confirmed, study.unconfirmed) = await confirm(sent, study: work.study.studyInstanceUID, commitment: commitment)
        return study
    }

    /// No association, a broken one, or out of resources (A7xx): worth another try.
    static func isTransient(_ outcome: FileSender.Outcome) -> Bool {
        guard let status = outcome.status else { return !(outcome.problem ?? "").hasPrefix("the local copy") }
        return status.rawValue & 0xFF00 == 0xA700
    }

    /// Storage Commitment when the PACS offers it, else an IMAGE-level query.
    private func confirm(_ sent: [FailbackInstance], study: String, commitment: CommitmentSupport)
        async -> (FailbackReport.Confirmation, Int, [FailbackReport.Refusal]) {
        if commitment.offered {
            do {
                let result = try await commit(sent)
                let failed = result.failed.map {
                    FailbackReport.Refusal(sopInstanceUID: $0.reference.sopInstanceUID, status: nil,
                                           reason: "not committed: \(StorageCommitment.FailureReason.describe($0.reason))")
                }
                let committed = Set(result.committed.map(\.sopInstanceUID))
                let named = committed.union(result.failed.map(\.reference.sopInstanceUID))
                let unanswered = sent.filter { !named.contains($0.sopInstanceUID) }
                    .map { FailbackReport.Refusal(sopInstanceUID: $0.sopInstanceUID, status: nil, reason: "not named in the commitment report") }
                return (.storageCommitment, sent.filter { committed.contains($0.sopInstanceUID) }.count, failed + unanswered)
            } catch AssociationError.noAcceptedContext {
                commitment.markNotOffered()
            } catch {
                return (.storageCommitment, 0, sent.map { .init(sopInstanceUID: $0.sopInstanceUID, status: nil, reason: "storage commitment failed: \(error)") })
            }
        }
        do {
            let held = try await RequestorAssociation.withAssociation(options.association, proposing: [
                ProposedPresentationContext(id: 1, abstractSyntax: PACSComparison.studyRootFind, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]),
            ]) { association in try await PACSComparison(association: association).sopInstances(study: study) }
            let missing = sent.filter { !held.contains($0.sopInstanceUID) }.map {
                FailbackReport.Refusal(sopInstanceUID: $0.sopInstanceUID, status: nil, reason: "accepted, but a query afterwards does not find it")
            }
            return (.query, sent.count - missing.count, missing)
        } catch {
            return (.query, 0, sent.map { .init(sopInstanceUID: $0.sopInstanceUID, status: nil, reason: "the confirming query failed: \(error)") })
        }
    }

    /// One commitment transaction for a study's instances, on an association of its own.
    private func commit(_ sent: [FailbackInstance]) async throws -> StorageCommitment.Result {
        let request = StorageCommitment.Request(transactionUID: UIDGenerator.make(),
                                                references: sent.map { .init(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) })
        let configuration = options.association
        return try await withDeadline(options.commitTimeout, "the storage commitment report from \(options.node.aeTitle.value)") {
            try await RequestorAssociation.withAssociation(configuration, proposing: [
                ProposedPresentationContext(id: 1, abstractSyntax: StorageCommitment.sopClassUID,
                                            transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]),
            ]) { association in try await association.commit(request) }
        }
    }
}

/// Whether the PACS offers Storage Commitment: assumed until an association says otherwise.
final class CommitmentSupport: Sendable {
    private let notOffered = NIOLockedValueBox(false)
    var offered: Bool { !notOffered.withLockedValue { $0 } }
    func markNotOffered() { notOffered.withLockedValue { $0 = true } }
}
