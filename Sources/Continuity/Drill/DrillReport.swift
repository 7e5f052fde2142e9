import Foundation

/// The evidence a recovery drill leaves: what was restored from which target, whether every
/// byte came back as it should, how fast, and what that implies for a real disaster.
public struct DrillReport: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var blob: String
        public var studyInstanceUID: String
        public var problem: String
    }

    public var target: String
    public var startedAt: Date
    public var seconds: Double
    public var passed: Bool
    /// Studies picked at random, and whether the newest day was restored too.
    public var studies: [String]
    public var newestDay: Bool
    public var instances: Int
    public var bytes: Int64
    public var bytesPerSecond: Double
    /// The newest catalog snapshot at the target, how old it was, and how long it took to read.
    public var snapshot: String?
    public var snapshotAgeSeconds: Double?
    public var snapshotSeconds: Double?
    /// How long the change log's segments written since the snapshot took to list and read.
    public var changeLogSeconds: Double?
    /// What the measured rate implies: a full restore from this target, and the last 24 hours.
    public var fullRestoreSeconds: Double?
    public var last24HoursSeconds: Double?
    /// The recovery point at the time: how far behind the target was.
    public var recoveryPointSeconds: Double
    public var failures: [Failure]

    /// What restoring `versions` versions of `bytes` bytes would take at the rates this drill
    /// measured through the restore's own fetch path (`BlobFetcher`, as many GETs at once,
    /// blobs made durable a group at a time): the snapshot's read and the change log's since
    /// it, then the blobs at whichever of the two rates — versions a second, bytes a second —
    /// says longer.
    public func restoreSeconds(versions: Int, bytes: Int64) -> Double? {
        guard instances > 0, self.bytes > 0, seconds > 0 else { return nil }
        return (snapshotSeconds ?? 0) + (changeLogSeconds ?? 0) + max(Double(versions) / Double(instances), Double(bytes) / Double(self.bytes)) * seconds
    }

    /// "offsite: PASSED — 5 studies, 212 instances, 110.3 MB at 95.2 MB/s; full restore ≈ 3h12m, last 24 h ≈ 4m10s; recovery point 12 s"
    public var summary: String {
        var line = "\(target): \(passed ? "PASSED" : "FAILED") — \(studies.count) stud\(studies.count == 1 ? "y" : "ies")\(newestDay ? " and the newest day" : ""), "
            + "\(instances) instances, \(String(format: "%.1f", Double(bytes) / 1e6)) MB in \(String(format: "%.1f", seconds)) s "
            + "(\(String(format: "%.1f", bytesPerSecond / 1e6)) MB/s)"
        if let full = fullRestoreSeconds { line += "; full restore ≈ \(TimeLength.text(full))" }
        if let day = last24HoursSeconds { line += ", last 24 h ≈ \(TimeLength.text(day))" }
        line += "; recovery point \(TimeLength.text(recoveryPointSeconds))"
        if snapshot == nil { line += "; NO CATALOG SNAPSHOT at the target" }
        return line
    }
}
