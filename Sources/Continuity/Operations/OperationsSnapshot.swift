import Archive
import Foundation
import Protection
import Replication

/// Everything the operations dashboard and `/metrics` show, read once: each target's
/// recovery point and queue, the scrub's coverage and findings, the drills, the PACS and
/// its downtimes, the disk and its forecast, the alerts.
public struct OperationsSnapshot: Codable, Sendable, Equatable {
    public struct Scrub: Codable, Sendable, Equatable {
        public var place: String
        public var coveredPercent: Double
        public var completedPasses: Int
        public var passStartedAt: Date
        public var lastPassEndedAt: Date?
    }

    public struct Findings: Codable, Sendable, Equatable {
        /// Over the last 30 days.
        public var found: Int
        public var healed: Int
        public var unhealed: Int
        public var unrecoverable: Int
    }

    public struct DrillResult: Codable, Sendable, Equatable {
        public var target: String
        public var startedAt: Date
        public var passed: Bool
        public var bytesPerSecond: Double
        public var fullRestoreSeconds: Double?
        public var last24HoursSeconds: Double?
        public var recoveryPointSeconds: Double
        public var problems: Int
    }

    /// A `lifeboat restore` run that made (or went on making) this archive: the recovery
    /// times it achieved, for the newest day and for everything.
    public struct RestoreResult: Codable, Sendable, Equatable {
        public var target: String
        public var startedAt: Date
        public var snapshot: String?
        public var catalogAfter: Double
        public var recentVersions: Int
        public var recentBackAfter: Double?
        public var versions: Int
        public var wholeBackAfter: Double?
        public var notRestored: Int

        init(_ report: Restorer.Report) {
            target = report.target
            startedAt = report.startedAt
            snapshot = report.snapshot
            catalogAfter = report.catalogAfter
            recentVersions = report.recent.total
            recentBackAfter = report.recent.finishedAfter
            versions = report.versions
            wholeBackAfter = report.whole.finishedAfter
            notRestored = report.failed.count
        }
    }

    public struct Disk: Codable, Sendable, Equatable {
        public var totalBytes: Int64
        public var availableBytes: Int64
        public var availablePercent: Double
        public var meanBytesPerDay: Double
        public var daysLeftAtMean: Double?
        /// The storage a 48-hour PACS outage needs (busiest 48 h seen, +50%), and whether it is free.
        public var neededFor48Hours: Int64
        public var ridesOut48Hours: Bool
    }

    public var generatedAt: Date
    public var node: String
    public var targets: [ReplicationTargetStatus]
    public var scrub: [Scrub]
    public var findings: Findings
    /// Newest first.
    public var drills: [DrillResult]
    /// The restores that made this archive, newest first (none for an archive never restored).
    public var restores: [RestoreResult]
    /// Each watched node's latest state.
    public var nodes: [NodeEvent]
    public var downtimes: [Downtime]
    public var disk: Disk?
    /// Open ones first, then the most recent.
    public var alerts: [AlertIncident]

    /// `history`: where the disk forecast's ingest history comes from when it need not be
    /// read afresh.
    public static func read(catalog: Catalog, stores: ContinuityStores, node: String, dataDirectory: String, now: Date = Date(),
                            history: IngestHistoryCache? = nil) async throws -> OperationsSnapshot {
        let recent = try await stores.integrity.findings(since: now.addingTimeInterval(-30 * 86400))
        var newest: [String: IntegrityFinding] = [:]
        for finding in recent { newest["\(finding.place)|\(finding.blob)"] = finding }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let drills = try await stores.drills.drills(limit: 50).map { record in
            let report = try? decoder.decode(DrillReport.self, from: Data(record.report.utf8))
            return DrillResult(target: record.target, startedAt: record.startedAt, passed: record.passed, bytesPerSecond: report?.bytesPerSecond ?? 0,
                               fullRestoreSeconds: report?.fullRestoreSeconds, last24HoursSeconds: report?.last24HoursSeconds,
                               recoveryPointSeconds: report?.recoveryPointSeconds ?? 0, problems: report?.failures.count ?? 0)
        }
        var disk: Disk?
        if let space = DiskSpace(of: dataDirectory) {
            let plan = try await CapacityPlan.make(catalog: catalog, replicas: stores.replication, drills: stores.drills, dataDirectory: dataDirectory, targets: [], downtimeHours: 48, marginPercent: 50,
                                                   now: now, cache: history)
            disk = Disk(totalBytes: space.totalBytes, availableBytes: space.availableBytes, availablePercent: space.availablePercent,
                        meanBytesPerDay: plan.meanBytesPerDay, daysLeftAtMean: plan.freeDaysAtMean, neededFor48Hours: plan.neededBytes,
                        ridesOut48Hours: plan.ridesOut ?? false)
        }
        return OperationsSnapshot(
            generatedAt: now, node: node, targets: try await stores.replication.replicationStatus(at: now).filter(\.active),
            scrub: try await stores.integrity.scrubProgress(in: catalog).map {
                Scrub(place: $0.cursor.place, coveredPercent: $0.coveredPercent, completedPasses: $0.cursor.completedPasses,
                      passStartedAt: $0.cursor.passStartedAt, lastPassEndedAt: $0.cursor.lastPassEndedAt)
            },
            findings: Findings(found: recent.count, healed: recent.filter { $0.healedAt != nil }.count,
                               unhealed: newest.values.filter { $0.healedAt == nil && !$0.unrecoverable }.count,
                               unrecoverable: newest.values.filter(\.unrecoverable).count),
            drills: drills,
            restores: Restorer.reports(in: dataDirectory).suffix(5).reversed().map(RestoreResult.init),
            nodes: try await stores.downtimes.latestNodeEvents(),
            downtimes: try await stores.downtimes.downtimes(limit: 20), disk: disk,
            alerts: try await stores.alerts.incidents(limit: 50))
    }
}
