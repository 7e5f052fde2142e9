import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOConcurrencyHelpers

/// Gives a restored PACS back what it lacks: every study held here is compared with the PACS
/// (`PACSComparison`), in `FailbackOrder`; the missing instances go by C-STORE — a few
/// senders at once, each over an association it keeps, each file checked against its
/// SHA-256 just before it is sent, failures of the connection or of resources tried again —
/// and are confirmed on the same association by Storage Commitment (PS3.4 J.3), one
/// transaction a batch, or by query where the PACS offers none. A run that is interrupted
/// is resumed by running it again: the comparison finds only what is still missing.
public struct Failback: Sendable {
    public struct Options: Sendable {
        public var node: DICOMNode
        public var callingAETitle: AETitle
        /// When the PACS was down: what arrived then goes first.
        public var downtime: [DateInterval]
        /// Senders at once, each over an association of its own.
        public var concurrency: Int
        /// Tries per instance when the connection fails or the PACS is out of resources.
        public var attempts: Int
        public var retryDelay: Duration
        /// How long a Storage Commitment report is waited for, on whichever association it comes.
        public var commitTimeout: Duration
        /// How long a sender keeps its association waiting for the report on it before it
        /// releases it — a PACS may report only on an association of its own once the
        /// request's is released (PS3.4 J.3.3) — and waits for it in the commitment store instead.
        public var commitGrace: Duration
        /// Where a blob the store keeps no file of is copied, through the verified reader, to
        /// be sent; nil: such a blob is refused as not in the local store.
        public var staging: String?

        public init(node: DICOMNode, callingAETitle: AETitle, downtime: [DateInterval] = [], concurrency: Int = 2, attempts: Int = 3,
                    retryDelay: Duration = .seconds(2), commitTimeout: Duration = .seconds(60), commitGrace: Duration = .seconds(2)) {
            self.node = node
            self.callingAETitle = callingAETitle
            self.downtime = downtime
            self.concurrency = max(1, concurrency)
            self.attempts = max(1, attempts)
            self.retryDelay = retryDelay
            self.commitTimeout = commitTimeout
            self.commitGrace = min(commitGrace, commitTimeout)
        }
    }

    /// A study whose missing instances are known; `turn` is its place in the order.
    struct Work: Sendable {
        let turn: Int
        let study: FailbackStudy
        let duringDowntime: Bool
        let missing: [FailbackInstance]
    }

    /// What sending a study's instances came to, before confirmation.
    struct Delivery: Sendable {
        let work: Work
        var sent: [FailbackInstance] = []
        var bytes = 0
        var refused: [FailbackReport.Refusal] = []
        var transcoded: [String: String] = [:]
    }

    let catalog: Catalog
    let commitments: any CommitmentStore
    let blobs: any BlobStore
    let options: Options
    /// The most missing instances a sender takes at once and one commitment transaction
    /// confirms.
    static let batchInstances = 250
    /// Studies asked after in one study-level C-FIND.
    static let studiesPerQuery = 50
    /// Presentation contexts a sender's association proposes (PS3.8 9.3.2.2 allows 128).
    static let contextsPerAssociation = 120

    public init(catalog: Catalog, commitments: any CommitmentStore, blobs: any BlobStore, options: Options) {
        self.catalog = catalog
        self.commitments = commitments
        self.blobs = blobs
        self.options = options
    }

    /// The associations to the PACS: a commitment report that comes on one — whenever it
    /// comes — is kept in the commitment store, where the batch it confirms looks for it.
    var association: RequestorAssociation.Configuration {
        var configuration = RequestorAssociation.Configuration(host: options.node.host, port: options.node.port, callingAETitle: options.callingAETitle,
                                                               calledAETitle: options.node.aeTitle)
        configuration.commitmentReports = { [commitments, node = options.node.aeTitle.value] result in
            let kept = try? await commitments.record(CommitmentReport(result, reportedBy: node, sameAssociation: true))
            return kept == nil || kept == .unknownTransaction ? StorageCommitment.ReportStatus.processingFailure : .success
        }
        return configuration
    }

    /// Compares and sends; `progress` hears each study once it is confirmed.
    public func run(progress: @escaping @Sendable (FailbackReport.Study) async -> Void = { _ in }) async throws -> FailbackReport {
        let started = Date()
        let ordered = FailbackOrder.order(try await catalog.failbackStudies(), downtime: options.downtime)
        let queue = WorkQueue()
        let commitment = CommitmentSupport()
        let results = NIOLockedValueBox<[(Int, FailbackReport.Study)]>([])
        let compared = try await withThrowingTaskGroup(of: Int.self) { group in
            // One association compares, in order, and queues each lacking study for the senders.
            group.addTask {
                do {
                    let count = try await compare(ordered, into: queue)
                    await queue.finish()
                    return count
                } catch {
                    await queue.finish()
                    throw error
                }
            }
            for _ in 0..<options.concurrency {
                group.addTask {
                    await deliver(from: queue, commitment: commitment) { turn, study in
                        results.withLockedValue { $0.append((turn, study)) }
                        await progress(study)
                    }
                    return 0
                }
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
    private func compare(_ ordered: [(study: FailbackStudy, duringDowntime: Bool)], into queue: WorkQueue) async throws -> Int {
        guard !ordered.isEmpty else { return 0 }
        let context = ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.studyRootFind,
                                                  transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid])
        do {
            return try await RequestorAssociation.withAssociation(association, proposing: [context]) { association in
                let comparison = PACSComparison(association: association)
                for start in stride(from: 0, to: ordered.count, by: Self.studiesPerQuery) {
                    let chunk = ordered[start..<min(start + Self.studiesPerQuery, ordered.count)]
                    let counts = try await comparison.instanceCounts(of: chunk.map(\.study.studyInstanceUID))
                    for (turn, (study, duringDowntime)) in zip(chunk.indices, chunk) {
                        let instances = try await catalog.failbackInstances(study: study.studyInstanceUID)
                        let missing = try await comparison.missing(study: study.studyInstanceUID, instances: instances, held: counts[study.studyInstanceUID])
                        if !missing.isEmpty { await queue.push(Work(turn: turn, study: study, duringDowntime: duringDowntime, missing: missing)) }
                    }
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

    /// One sender: takes the next studies and sends them over an association it keeps open
    /// from batch to batch (a PACS may take a tenth of a second to open one) until a batch
    /// needs a presentation context it lacks, or its commitment report does not come on it
    /// (the PACS may wait for the release to report on an association of its own). Each batch
    /// is confirmed by one commitment transaction requested on the same association while the
    /// other senders go on, and its studies are reported in the background.
    private func deliver(from queue: WorkQueue, commitment: CommitmentSupport,
                         done: @escaping @Sendable (Int, FailbackReport.Study) async -> Void) async {
        await withTaskGroup(of: Void.self) { reports in
            /// True when the report is awaited elsewhere: the association should be released.
            func confirmAndReport(_ batch: Outgoing, over association: RequestorAssociation?) async -> Bool {
                let sent = batch.deliveries.map { (study: $0.work.study.studyInstanceUID, instances: $0.sent) }
                let confirmed = sent.allSatisfy(\.instances.isEmpty) ? .done(.none, [:]) : await confirm(sent, commitment: commitment, over: association)
                switch confirmed {
                case .done(let way, let problems):
                    reports.addTask { await report(batch.deliveries, confirmedBy: way, problems: problems, done: done) }
                    return false
                case .awaiting(let transactionUID, let instances, let deadline):
                    reports.addTask {
                        let problems = await awaitReportElsewhere(transactionUID, instances: instances, until: deadline, commitment: commitment)
                        await report(batch.deliveries, confirmedBy: .storageCommitment, problems: problems, done: done)
                    }
                    return true
                }
            }
            var next = await prepare(await queue.take(maximumInstances: Self.batchInstances))
            var proposed: [FileSender.ContextKey] = []
            while var batch = next {
                next = nil
                // What the last association proposed, and what this batch needs besides.
                let union = proposed + Set(batch.contexts).subtracting(proposed)
                proposed = FileSender.contextCount(for: union) <= Self.contextsPerAssociation ? union
                    : FileSender.contextKeys(batch.files, limit: Self.contextsPerAssociation)
                var sent = false, released = false
                do {
                    try await RequestorAssociation.withAssociation(association, proposing: Self.proposal(storing: proposed)) { association in
                        while true {
                            await transmit(&batch, over: association, proposed: Set(proposed))
                            sent = true
                            // Released at once when the report is to come elsewhere: the PACS may be waiting for it.
                            released = await confirmAndReport(batch, over: association.isBroken ? nil : association)
                            if released { return }
                            next = await prepare(await queue.take(maximumInstances: Self.batchInstances))
                            if association.isBroken { throw AssociationError.closed("the association broke during the batch") }
                            guard let following = next, Set(following.contexts).isSubset(of: proposed) else { return }
                            batch = following
                            next = nil
                        }
                    }
                } catch {
                    // Not associated at all: the batch goes the way of retries, which say why it fails.
                    if !sent {
                        await transmit(&batch, over: nil, proposed: [])
                        _ = await confirmAndReport(batch, over: nil)
                        next = await prepare(await queue.take(maximumInstances: Self.batchInstances))
                    }
                }
                // Released for the report (however the release went): the next batch, on a new association.
                if released && next == nil { next = await prepare(await queue.take(maximumInstances: Self.batchInstances)) }
            }
        }
    }

    /// A sender's presentation contexts: the storage ones, then Storage Commitment and Study
    /// Root FIND to confirm what it sent.
    static func proposal(storing keys: [FileSender.ContextKey]) -> [ProposedPresentationContext] {
        let storage = FileSender.contexts(for: keys)
        let next = UInt8(storage.count * 2 + 1)
        let syntaxes = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]
        return storage + [ProposedPresentationContext(id: next, abstractSyntax: StorageCommitment.sopClassUID, transferSyntaxes: syntaxes),
                          ProposedPresentationContext(id: next + 2, abstractSyntax: SOPClass.studyRootFind, transferSyntaxes: syntaxes)]
    }

    /// Reports each study of a confirmed batch.
    private func report(_ deliveries: [Delivery], confirmedBy way: FailbackReport.Confirmation, problems: [String: String],
                        done: @escaping @Sendable (Int, FailbackReport.Study) async -> Void) async {
        for delivery in deliveries {
            let unconfirmed = delivery.sent.compactMap { instance in
                problems[instance.sopInstanceUID].map { FailbackReport.Refusal(sopInstanceUID: instance.sopInstanceUID, status: nil, reason: $0) }
            }
            let work = delivery.work
            await done(work.turn, FailbackReport.Study(
                studyInstanceUID: work.study.studyInstanceUID, lastReceivedAt: work.study.lastReceivedAt, duringDowntime: work.duringDowntime,
                missing: work.missing.count, sent: delivery.sent.count, bytes: delivery.bytes,
                confirmed: delivery.sent.count - unconfirmed.count, confirmedBy: delivery.sent.isEmpty ? .none : way,
                refused: delivery.refused, unconfirmed: unconfirmed, transcoded: delivery.transcoded.isEmpty ? nil : delivery.transcoded))
        }
    }

    /// A batch of studies whose files are read and ready to go, and what became of them so far.
    struct Outgoing {
        var deliveries: [Delivery]
        var files: [FileSender.Prepared] = []
        var instances: [String: (delivery: Int, instance: FailbackInstance)] = [:]
        /// The copies staged for a store with no files of its own, removed once the batch is sent.
        var copies: [BlobFile] = []
        /// The presentation contexts the files need, in the order they first appear.
        var contexts: [FileSender.ContextKey] { FileSender.contextKeys(files, limit: .max) }
    }

    /// Finds each missing instance's local file and reads its header; nil for an empty batch.
    private func prepare(_ batch: [Work]) async -> Outgoing? {
        guard !batch.isEmpty else { return nil }
        var outgoing = Outgoing(deliveries: batch.map { Delivery(work: $0) })
        for (index, work) in batch.enumerated() {
            for instance in work.missing {
                let path: String
                if let own = blobs.localPath(of: instance.blob) {
                    path = own
                } else if let staging = options.staging {
                    do {
                        let copy = try await blobs.file(of: instance.blob, staging: staging)
                        outgoing.copies.append(copy)
                        path = copy.path
                    } catch {
                        outgoing.deliveries[index].refused.append(.init(sopInstanceUID: instance.sopInstanceUID, status: nil,
                                                                        reason: "the stored copy cannot be read whole: \(error)"))
                        continue
                    }
                } else {
                    outgoing.deliveries[index].refused.append(.init(sopInstanceUID: instance.sopInstanceUID, status: nil, reason: "its blob is not in the local store"))
                    continue
                }
                switch FileSender.prepare(path) {
                case .success(let file):
                    outgoing.files.append(file)
                    outgoing.instances[path] = (index, instance)
                case .failure(let unsendable):
                    let reason = await localCopyProblem(instance.blob) ?? unsendable.problem
                    outgoing.deliveries[index].refused.append(.init(sopInstanceUID: instance.sopInstanceUID, status: nil, reason: reason))
                }
            }
        }
        return outgoing
    }

    /// Sends a batch's files in order — first over `association`, those of its contexts —
    /// and tries again, each time over a new association, what failed for want of a
    /// connection or of resources (A7xx).
    private func transmit(_ batch: inout Outgoing, over association: RequestorAssociation?, proposed: Set<FileSender.ContextKey>) async {
        // A staged copy was verified as it was made: the store is not read a second time for it.
        let copied = Set(batch.copies.map(\.path))
        let checks = batch.instances.filter { !copied.contains($0.key) }.mapValues(\.instance.blob)
        let check: @Sendable (String) async -> String? = { path in
            guard let blob = checks[path] else { return nil }
            return await localCopyProblem(blob)
        }
        let sender = FileSender(configuration: self.association)
        var pending = batch.files.map(\.path)
        for attempt in 1...options.attempts where !pending.isEmpty {
            if attempt > 1 { try? await Task.sleep(for: options.retryDelay * (1 << (attempt - 2))) }
            let outcomes: [FileSender.Outcome]
            if attempt == 1, let association {
                let (here, elsewhere) = (batch.files.filter { proposed.contains($0.context) }, batch.files.filter { !proposed.contains($0.context) })
                outcomes = await sender.send(here, over: association, check: check) + (await sender.send(elsewhere.map(\.path), check: check))
            } else {
                outcomes = await sender.send(pending, check: check)
            }
            var retry: [String] = []
            for outcome in outcomes {
                guard let (index, instance) = batch.instances[outcome.path] else { continue }
                if outcome.succeeded {
                    batch.deliveries[index].sent.append(instance)
                    batch.deliveries[index].bytes += outcome.bytes
                    if let copy = outcome.transcoded { batch.deliveries[index].transcoded[instance.sopInstanceUID] = copy }
                } else if Self.isTransient(outcome), attempt < options.attempts {
                    retry.append(outcome.path)
                } else {
                    batch.deliveries[index].refused.append(.init(sopInstanceUID: instance.sopInstanceUID, status: outcome.status?.description,
                                                                 reason: outcome.problem ?? (outcome.status.map { "refused with status \($0)" } ?? "not sent")))
                }
            }
            // Files the sender never reached (it stopped) are tried again too.
            let answered = Set(outcomes.map(\.path))
            pending = retry + pending.filter { !answered.contains($0) }
        }
        for copy in batch.copies { copy.discard() }
        batch.copies = []
    }

    /// Why the local copy of `blob` must not go, if it must not.
    private func localCopyProblem(_ blob: BlobID) async -> String? {
        // Zero-loss invariant 3: what goes out must still hash to its name.
        do {
            return try await blobs.verify(blob) ? nil : "the local copy does not match its SHA-256: not sent"
        } catch {
            return "the local copy cannot be read: \(error)"
        }
    }

    /// No association, a broken one, or out of resources (A7xx): worth another try.
    static func isTransient(_ outcome: FileSender.Outcome) -> Bool {
        guard let status = outcome.status else { return !outcome.unsendable && !(outcome.problem ?? "").hasPrefix("the local copy") }
        return status.rawValue & 0xFF00 == 0xA700
    }
}
