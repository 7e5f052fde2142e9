import Archive
import Foundation

/// The hourly ingest history behind the disk forecast, read from the catalog at most once
/// per `lifetime`: the dashboard and `/metrics` would otherwise group every version of the
/// last four weeks at each page load and each Prometheus scrape, for figures that move by
/// the hour.
public actor IngestHistoryCache {
    private let lifetime: TimeInterval
    private var cached: (readAt: Date, since: Date, hours: [IngestHour])?

    public init(lifetime: Duration = .seconds(300)) { self.lifetime = lifetime.inSeconds }

    /// The hours since `since`: as last read, when that was less than `lifetime` before
    /// `now` and reached back as far; else read afresh.
    public func history(in catalog: Catalog, since: Date, now: Date) async throws -> [IngestHour] {
        if let cached, cached.since <= since, cached.readAt <= now, now.timeIntervalSince(cached.readAt) < lifetime {
            // An hour counts while any of it is on or after `since`, as in the catalog's query.
            return cached.hours.filter { $0.hour.addingTimeInterval(3600) > since }
        }
        let hours = try await catalog.ingestHistory(since: since)
        cached = (now, since, hours)
        return hours
    }
}
