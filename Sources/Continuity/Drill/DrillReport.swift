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
    /// The newest catalog snapshot at the target, and how old it was.
    public var snapshot: String?
    public var snapshotAgeSeconds: Double?
    /// What the measured rate implies: a full restore from this target, and the last 24 hours.
    public var fullRestoreSeconds: Double?
    public var last24HoursSeconds: Double?
    /// The recovery point at the time: how far behind the target was.
    public var recoveryPointSeconds: Double
    public var failures: [Failure]

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
