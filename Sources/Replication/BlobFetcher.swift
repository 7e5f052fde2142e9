import Archive
import Foundation

/// Brings copies back from a target into a blob store as fast as the target sends them, for
/// restores and drills alike (so that a drill's rate is a restore's):
/// - `concurrency` GETs in flight, over the HTTP client's kept-alive connections; each copy
///   hashed on its way into staging and checked against its name;
/// - what has arrived made durable a group at a time (`BlobStore.put(group:)`: one fsync of
///   each directory for the group, not one round per blob). One group is flushed while the
///   next arrives, so a group is as large as what arrives during one flush — the
///   `GroupCommit` pattern — up to `maxGroup`;
/// - `durable` hears of each blob once it is durable (or known to fail), and only then: a
///   caller that records blobs in the catalog records nothing that a crash could take back.
public struct BlobFetcher: Sendable {
    public enum Outcome: Sendable, Equatable {
        case fetched(bytes: Int)
        case alreadyHere
        case failed(String)
    }

    public struct Counts: Sendable, Equatable {
        public var fetched = 0
        public var alreadyHere = 0
        public var failed = 0
        public var bytes = 0
    }

    public let target: any ReadableTarget
    public let store: any BlobStore
    public let staging: String
    public let concurrency: Int
    /// Most blobs one flush makes durable; as many wait staged, unflushed, at most.
    public let maxGroup: Int

    public init(target: any ReadableTarget, store: any BlobStore, staging: String, concurrency: Int = 8, maxGroup: Int = 128) {
        self.target = target
        self.store = store
        self.staging = staging
        self.concurrency = max(1, concurrency)
        self.maxGroup = max(1, maxGroup)
    }

    enum Step: Sendable {
        case arrived(BlobID, Result<StagedBlob, Failure>)
        case flushed([(BlobID, Outcome)])
    }

    enum Failure: Error, Sendable {
        case alreadyHere
        case failed(String)
    }

    /// Fetches `blobs` in their order; `durable` is called on this task, a group at a time.
    @discardableResult
    public func fetch(_ blobs: some Sequence<BlobID> & Sendable, durable: ([(BlobID, Outcome)]) async throws -> Void) async throws -> Counts {
        var counts = Counts()
        try await withThrowingTaskGroup(of: Step.self) { group in
            var next = blobs.makeIterator()
            var fetching = 0, flushing = false, exhausted = false
            var arrived: [StagedBlob] = [], settled: [(BlobID, Outcome)] = []
            func startFetches() {
                while !exhausted && fetching < concurrency && arrived.count < maxGroup {
                    guard let blob = next.next() else { exhausted = true; return }
                    fetching += 1
                    group.addTask { .arrived(blob, await stage(blob)) }
                }
            }
            func startFlush() {
                guard !flushing, !arrived.isEmpty else { return }
                flushing = true
                let batch = Array(arrived.prefix(maxGroup))
                arrived.removeFirst(batch.count)
                group.addTask {
                    let results = await store.put(group: batch)
                    return .flushed(zip(batch, results).map { staged, result in
                        switch result {
                        case .success: (staged.id, .fetched(bytes: staged.size))
                        case .failure(let error): (staged.id, .failed("cannot be stored here: \(error)"))
                        }
                    })
                }
            }
            startFetches()
            while let step = try await group.next() {
                switch step {
                case .arrived(_, .success(let staged)):
                    fetching -= 1
                    arrived.append(staged)
                case .arrived(let blob, .failure(let failure)):
                    fetching -= 1
                    settled.append((blob, failure.outcome))
                case .flushed(let results):
                    flushing = false
                    settled += results
                }
                if !settled.isEmpty {
                    for (_, outcome) in settled { counts.add(outcome) }
                    let told = settled
                    settled = []
                    try await durable(told)
                }
                try Task.checkCancellation()
                startFlush()
                startFetches()
            }
        }
        return counts
    }

    /// One copy staged and checked against its name, not yet durable.
    private func stage(_ blob: BlobID) async -> Result<StagedBlob, Failure> {
        do {
            if try await store.contains(blob) { return .failure(.alreadyHere) }
            guard let staged = try await target.fetch(blob, into: staging) else { return .failure(.failed("missing at \(target.name)")) }
            guard staged.id == blob else {
                staged.discard()
                return .failure(.failed("came back as \(staged.id.hex.prefix(16))…, not its name"))
            }
            return .success(staged)
        } catch {
            return .failure(.failed("\(error)"))
        }
    }
}

extension BlobFetcher.Counts {
    mutating func add(_ outcome: BlobFetcher.Outcome) {
        switch outcome {
        case .fetched(let size):
            fetched += 1
            bytes += size
        case .alreadyHere: alreadyHere += 1
        case .failed: failed += 1
        }
    }
}

extension BlobFetcher.Failure {
    var outcome: BlobFetcher.Outcome {
        switch self {
        case .alreadyHere: .alreadyHere
        case .failed(let why): .failed(why)
        }
    }
}
