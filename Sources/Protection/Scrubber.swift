import Archive
import Foundation
import Logging
import Replication

/// Proves, continuously, that every copy is intact (zero-loss invariant 3): each version's
/// local blob is read and hashed, each target's copy is asked after (size, the target's own
/// checksum, its object lock) and a rotating share of them read back whole. A bad copy is
/// recorded as a finding and — unless healing is off — put right from a good one.
public struct Scrubber: Sendable {
    public let catalog: Catalog
    /// What each target confirmed: a pass over a target checks those.
    public let replicas: any ReplicationStore
    /// Where each place's cursor and the findings are kept.
    public let integrity: any IntegrityStore
    public let healer: Healer
    public var heal = true
    /// False when the targets were left out on purpose (`lifeboat verify --local-only`): a bad
    /// local copy is then not healed, but neither is it said to have no good copy anywhere.
    public var targetsLookedAt = true
    /// Told of each finding when it is made, and again once healed or known to have no good copy.
    let onFinding: @Sendable (IntegrityFinding) -> Void
    let logger: Logger

    /// `staging`: where copies read back from targets are staged (local, as for ingest).
    public init(blobs: any BlobStore, staging: String, catalog: Catalog, replicas: any ReplicationStore, integrity: any IntegrityStore, targets: [any ReadableTarget], heal: Bool = true,
                logger: Logger = Logger(label: "lifeboat.scrub"), onFinding: @escaping @Sendable (IntegrityFinding) -> Void = { _ in }) {
        self.catalog = catalog
        self.replicas = replicas
        self.integrity = integrity
        healer = Healer(blobs: blobs, staging: staging, catalog: catalog, replicas: replicas, targets: targets)
        self.heal = heal
        self.logger = logger
        self.onFinding = onFinding
    }

    public enum Place: Sendable {
        case local
        case target(any ReadableTarget)

        public var name: String {
            switch self {
            case .local: "local"
            case .target(let target): target.name
            }
        }
    }

    public var places: [Place] { [.local] + healer.targets.map { .target($0) } }

    public struct PassOptions: Sendable {
        /// The share of versions checked, picked at random (an on-demand sample); 1 for all.
        public var sample: Double
        /// Every how many copies at a target one is read back whole (1: all, 0: none); which
        /// ones turns with each pass, so that over `readBackEvery` passes every copy is read.
        public var readBackEvery: Int
        /// Copies checked at once: the cores, for an on-demand check.
        public var parallelism: Int
        /// Set for the scheduled scrub: its pace, and a cursor kept in the catalog so that a
        /// restart goes on where it stopped.
        public var pace: ScrubPace?
        /// Versions taken from the catalog at a time; the cursor is saved after each batch.
        public var batchSize: Int
        /// Told of each copy checked, and whether it was bad: for a progress bar.
        public var progress: (@Sendable (Bool) -> Void)?

        public init(sample: Double = 1, readBackEvery: Int = 1, parallelism: Int = 1, pace: ScrubPace? = nil, batchSize: Int = 64,
                    progress: (@Sendable (Bool) -> Void)? = nil) {
            self.progress = progress
            self.sample = sample
            self.readBackEvery = readBackEvery
            self.parallelism = max(1, parallelism)
            self.pace = pace
            self.batchSize = max(1, batchSize)
        }
    }

    /// One pass over `place`: from the start, or — when scheduled — from where the last
    /// pass stopped.
    public func pass(over place: Place, options: PassOptions) async -> ScrubReport {
        var report = ScrubReport(place: place.name)
        let target: (any ReadableTarget)? = if case .target(let target) = place { target } else { nil }
        do {
            let scheduled = options.pace != nil
            var cursor = scheduled ? try await integrity.scrubCursor(place: place.name) ?? ScrubCursor(place: place.name, passStartedAt: Date())
                                   : ScrubCursor(place: place.name, passStartedAt: Date())
            let total = try await (target == nil ? catalog.scrubTotals() : replicas.scrubTotals(replicatedTo: target!.name)).bytes
            while !Task.isCancelled {
                let items = try await target == nil ? catalog.scrubItems(after: cursor.lastVersion, limit: options.batchSize)
                    : replicas.scrubItems(after: cursor.lastVersion, limit: options.batchSize, replicatedTo: target!.name)
                guard let last = items.last else {
                    report.complete = true
                    break
                }
                let started = Date()
                let picked = options.sample >= 1 ? items : items.filter { _ in Double.random(in: 0..<1) < options.sample }
                var read = 0
                for (item, problem, bytes) in try await check(picked, at: target, options: options, pass: cursor.completedPasses) {
                    report.checked += 1
                    read += bytes
                    options.progress?(problem != nil)
                    if let problem { report.findings.append(await handle(problem, of: item, at: place)) }
                }
                report.bytesRead += read
                cursor.lastVersion = last.versionID
                cursor.checkedBytes += items.reduce(0) { $0 + $1.size }
                if let pace = options.pace {
                    try await integrity.save(cursor)
                    let next = pace.nextCheck(passStartedAt: cursor.passStartedAt, covered: cursor.checkedBytes, total: total, readStartedAt: started, read: read)
                    let wait = next.timeIntervalSinceNow
                    if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                }
            }
            if report.complete, let pace = options.pace {
                // The next pass starts a period after this one did, or now if this one ran late.
                let next = max(Date(), cursor.passStartedAt.addingTimeInterval(Double(pace.period.components.seconds)))
                try await integrity.save(ScrubCursor(place: place.name, passStartedAt: next, completedPasses: cursor.completedPasses + 1,
                                                   lastPassEndedAt: Date()))
            }
        } catch is CancellationError {
        } catch {
            report.error = "\(error)"
            logger.warning("scrub pass stopped; it goes on from here next time", metadata: ["place": "\(place.name)", "error": "\(error)"])
        }
        return report
    }

    /// Checks a batch, `parallelism` copies at a time (the next starts as soon as one is
    /// done); a failure to look (a target down) ends the pass.
    func check(_ items: [ScrubItem], at target: (any ReadableTarget)?, options: PassOptions,
               pass: Int) async throws -> [(ScrubItem, IntegrityFinding.Problem?, Int)] {
        let blobs = healer.blobs, staging = healer.staging
        return try await withThrowingTaskGroup(of: (Int, IntegrityFinding.Problem?, Int).self) { group in
            var results: [(ScrubItem, IntegrityFinding.Problem?, Int)?] = Array(repeating: nil, count: items.count)
            for (index, item) in items.enumerated() {
                if index >= options.parallelism, let (done, problem, read) = try await group.next() { results[done] = (items[done], problem, read) }
                group.addTask {
                    guard let target else { return (index, try await CopyCheck.local(item, in: blobs), item.size) }
                    let turn = (Int(item.blob.hex.prefix(6), radix: 16) ?? 0) + pass
                    let readBack = options.readBackEvery > 0 && turn % options.readBackEvery == 0
                    let (problem, read) = try await CopyCheck.remote(item, at: target, readBack: readBack, scratch: staging)
                    return (index, problem, read)
                }
            }
            for try await (index, problem, read) in group { results[index] = (items[index], problem, read) }
            return results.compactMap { $0 }
        }
    }

    /// Records a bad copy, heals it when it can, and says so.
    func handle(_ problem: IntegrityFinding.Problem, of item: ScrubItem, at place: Place) async -> IntegrityFinding {
        var finding = IntegrityFinding(blob: item.blob, place: place.name, problem: problem)
        let metadata: Logger.Metadata = ["place": "\(place.name)", "problem": "\(problem.rawValue)", "blob": "\(item.blob)", "instance": "\(item.sopInstanceUID)"]
        logger.error("a bad copy", metadata: metadata)
        finding.id = try? await integrity.save(finding)
        onFinding(finding)
        guard heal else { return finding }
        var outcome: Healer.Outcome
        switch place {
        case .local: outcome = await healer.healLocal(item.blob)
        case .target(let target): outcome = await healer.healRemote(item, at: target)
        }
        // Healed only once the copy checks out again.
        if case .healed = outcome, let problem = try? await recheck(item, at: place) {
            outcome = .failed("still \(problem.rawValue) after healing")
        }
        switch outcome {
        case .healed(let from):
            finding.healedAt = Date()
            finding.healedFrom = from
            logger.notice("healed", metadata: metadata.merging(["from": "\(from)"]) { $1 })
        case .noGoodCopy where !targetsLookedAt:
            logger.warning("not healed: the replication targets were not looked at", metadata: metadata)
            return finding
        case .noGoodCopy:
            finding.unrecoverable = true
            logger.critical("no good copy anywhere: this instance cannot be healed", metadata: metadata)
        case .failed(let why):
            logger.warning("not healed yet; tried again on the next pass", metadata: metadata.merging(["error": "\(why)"]) { $1 })
            return finding
        }
        finding.id = (try? await integrity.save(finding)) ?? finding.id
        onFinding(finding)
        return finding
    }

    func recheck(_ item: ScrubItem, at place: Place) async throws -> IntegrityFinding.Problem? {
        switch place {
        case .local: try await CopyCheck.local(item, in: healer.blobs)
        case .target(let target): try await CopyCheck.remote(item, at: target, readBack: true, scratch: healer.staging).problem
        }
    }

    /// The scheduled scrub, for ever: every place in turn of its own, each pass paced to
    /// cover everything within the period, resumed after a restart where it stopped.
    public func run(pace: ScrubPace, readBackEvery: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for place in places {
                group.addTask {
                    while !Task.isCancelled {
                        if let cursor = try? await integrity.scrubCursor(place: place.name), cursor.passStartedAt > Date() {
                            try? await Task.sleep(for: .seconds(cursor.passStartedAt.timeIntervalSinceNow))
                            continue
                        }
                        let report = await pass(over: place, options: PassOptions(readBackEvery: readBackEvery, pace: pace))
                        if report.complete { logger.info("scrub pass done", metadata: ["report": "\(report.summary)"]) }
                        // A pass cut short (a target down) goes on after a pause.
                        if !report.complete { try? await Task.sleep(for: .seconds(60)) }
                    }
                }
            }
        }
    }
}
