import Archive
import Foundation
import Replication

/// The blobs of one restore, a list at a time, through the shared `BlobFetcher`: each blob
/// the catalog does not know yet (named by the change log or a manifest) is recorded from its
/// own header once it is durable — never before — and the report's parts counted as blobs land.
struct RestoreFetch {
    let fetcher: BlobFetcher
    let recovery: Recovery
    let started: Date
    let progress: @Sendable (Restorer.Progress) -> Void
    /// Blobs to record in the catalog when they are durable, with when they were received.
    private var unrecorded: [BlobID: Date] = [:]
    /// When the first blob was asked for: the rates behind the estimates run from here.
    private var fetchingSince: Date?

    init(fetcher: BlobFetcher, recovery: Recovery, started: Date, progress: @escaping @Sendable (Restorer.Progress) -> Void) {
        self.fetcher = fetcher
        self.recovery = recovery
        self.started = started
        self.progress = progress
    }

    mutating func toRecord(_ items: [RestoreItem]) {
        for item in items { unrecorded[item.blob] = item.receivedAt }
    }

    /// Brings `items` back in their order, counting each in the whole and, when `recent`, in
    /// the newest day's part; a blob that cannot come back goes in the report's failures.
    mutating func run(_ items: [RestoreItem], phase: Restorer.Phase, recent: Bool, into report: inout Restorer.Report) async throws {
        guard !items.isEmpty else { return }
        let since = fetchingSince ?? Date()
        fetchingSince = since
        let byBlob = Dictionary(items.map { ($0.blob, $0) }) { first, _ in first }
        var unrecorded = self.unrecorded
        defer { self.unrecorded = unrecorded }
        let counts = try await fetcher.fetch(items.map(\.blob)) { landed in
            // Durable now (or by an earlier run that stopped before recording them): recorded
            // in one transaction, checked against their names as they arrived.
            let durable = landed.compactMap { blob, outcome -> (id: BlobID, receivedAt: Date)? in
                if case .failed = outcome { return nil }
                return unrecorded.removeValue(forKey: blob).map { (blob, $0) }
            }
            let unreadable = durable.isEmpty ? [:] : try await recovery.record(checked: durable, source: .restored)
            let elapsed = Date().timeIntervalSince(started)
            for (blob, outcome) in landed {
                guard let item = byBlob[blob] else { continue }
                if case .failed(let why) = outcome {
                    report.failed.append("\(blob) (study \(item.studyInstanceUID)): \(why)")
                } else if let why = unreadable[blob] {
                    report.failed.append("\(blob) (study \(item.studyInstanceUID)): back, but cannot be recorded: \(why)")
                }
                let fetched = if case .fetched = outcome { true } else { false }
                if recent { report.recent.count(item.size, fetched: fetched, at: elapsed) }
                report.whole.count(item.size, fetched: fetched, at: elapsed)
            }
            progress(Restorer.Progress(phase: phase, recent: report.recent, whole: report.whole, elapsed: elapsed,
                                       fetching: Date().timeIntervalSince(since)))
        }
        report.restored += counts.fetched
        report.alreadyHere += counts.alreadyHere
        report.bytes += counts.bytes
    }
}
