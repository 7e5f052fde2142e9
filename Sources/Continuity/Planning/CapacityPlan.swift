import Archive
import Foundation
import Replication

/// How much local storage rides out an outage of a given length, from the measured ingest
/// history: the most that arrived in any window that long (by the hour), with a margin; how
/// long the free space lasts at the usual and the busiest rate; and how long a full restore
/// from each target takes at its last drill's measured rate.
public struct CapacityPlan: Sendable, Codable, Equatable {
    public struct Weekday: Sendable, Codable, Equatable {
        public var name: String
        /// Averages per day of that weekday over the history.
        public var studies: Double
        public var instances: Double
        public var bytes: Double
    }

    public struct Modality: Sendable, Codable, Equatable {
        public var name: String
        public var bytesPerDay: Double
        public var instancesPerDay: Double
    }

    public struct TargetRestore: Sendable, Codable, Equatable {
        public var target: String
        public var bytes: Int64
        /// The last passing drill's rate; nil when none has been run.
        public var bytesPerSecond: Double?
        public var seconds: Double?
    }

    public var downtimeHours: Double
    public var marginPercent: Int
    /// How many days of history the figures rest on.
    public var historyDays: Double
    public var weekdays: [Weekday]
    public var modalities: [Modality]
    public var meanBytesPerDay: Double
    /// The most that arrived in any window as long as the downtime, and the storage that rides it out with the margin.
    public var peakWindowBytes: Int64
    public var neededBytes: Int64
    public var freeBytes: Int64?
    /// How long the free space lasts at the mean daily rate and at the busiest weekday's.
    public var freeDaysAtMean: Double?
    public var freeDaysAtPeak: Double?
    public var restores: [TargetRestore]

    public var ridesOut: Bool? { freeBytes.map { $0 >= neededBytes } }

    public static func make(history: [IngestHour], since: Date, now: Date = Date(), downtimeHours: Double, marginPercent: Int,
                            freeBytes: Int64?, restores: [TargetRestore]) -> CapacityPlan {
        // Less than a day of history counts as one day: a busy first hour is not a daily rate.
        let days = max(1, now.timeIntervalSince(since) / 86400)
        // Hourly totals, for the sliding window.
        var byHour: [Date: Int64] = [:]
        for hour in history { byHour[hour.hour, default: 0] += hour.bytes }
        let window = max(1, Int(downtimeHours.rounded(.up)))
        let hours = byHour.keys.sorted()
        var peak: Int64 = 0
        if let first = hours.first {
            let count = Int(now.timeIntervalSince(first) / 3600) + 1
            var series = [Int64](repeating: 0, count: count)
            for (hour, bytes) in byHour { series[max(0, min(count - 1, Int(hour.timeIntervalSince(first) / 3600)))] += bytes }
            var sum: Int64 = 0
            for index in series.indices {
                sum += series[index]
                if index >= window { sum -= series[index - window] }
                peak = max(peak, sum)
            }
        }
        // Per weekday: totals over how many of those weekdays the history holds.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let names = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] // Calendar.weekday order
        var weekdayCount = [Double](repeating: 0, count: 7)
        var day = since
        while day < now {
            weekdayCount[calendar.component(.weekday, from: day) - 1] += min(1, now.timeIntervalSince(day) / 86400)
            day = day.addingTimeInterval(86400)
        }
        var totals = [(studies: Double, instances: Double, bytes: Double)](repeating: (0, 0, 0), count: 7)
        for hour in history {
            let index = calendar.component(.weekday, from: hour.hour) - 1
            totals[index].studies += Double(hour.studies)
            totals[index].instances += Double(hour.instances)
            totals[index].bytes += Double(hour.bytes)
        }
        let weekdays = (0..<7).map { index in
            let n = max(weekdayCount[index], 1)
            return Weekday(name: names[index], studies: totals[index].studies / n, instances: totals[index].instances / n, bytes: totals[index].bytes / n)
        }
        let modalities = Dictionary(grouping: history, by: \.modality).map { name, hours in
            Modality(name: name.isEmpty ? "(none)" : name, bytesPerDay: Double(hours.reduce(0) { $0 + $1.bytes }) / days,
                     instancesPerDay: Double(hours.reduce(0) { $0 + $1.instances }) / days)
        }.sorted { $0.bytesPerDay > $1.bytesPerDay }
        let mean = Double(history.reduce(0) { $0 + $1.bytes }) / days
        let busiest = weekdays.map(\.bytes).max() ?? 0
        let needed = Int64((Double(peak) * Double(100 + marginPercent) / 100).rounded(.up))
        return CapacityPlan(downtimeHours: downtimeHours, marginPercent: marginPercent, historyDays: days, weekdays: weekdays, modalities: modalities,
                            meanBytesPerDay: mean, peakWindowBytes: peak, neededBytes: needed, freeBytes: freeBytes,
                            freeDaysAtMean: freeBytes.flatMap { mean > 0 ? Double($0) / mean : nil },
                            freeDaysAtPeak: freeBytes.flatMap { busiest > 0 ? Double($0) / busiest : nil }, restores: restores)
    }

    /// The plan for the terminal.
    public var text: String {
        func size(_ bytes: Double) -> String {
            bytes >= 1e12 ? String(format: "%.2f TB", bytes / 1e12) : bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.1f MB", bytes / 1e6)
        }
        var lines = [String(format: "ingest history: %.1f days, %@ a day on average", historyDays, size(meanBytesPerDay))
            + (historyDays < 7 ? " (less than a week of history: every weekday is not yet seen)" : "")]
        lines.append("by weekday (per day): " + weekdays.map { "\($0.name.prefix(3)) \(Int($0.studies.rounded())) studies \(size($0.bytes))" }.joined(separator: ", "))
        lines.append("by modality (per day): " + modalities.map { "\($0.name) \(size($0.bytesPerDay))" }.joined(separator: ", "))
        lines.append(String(format: "a %gh downtime: the most received in any %gh was %@; with a %d%% margin keep %@ free",
                            downtimeHours, downtimeHours, size(Double(peakWindowBytes)), marginPercent, size(Double(neededBytes))))
        if let freeBytes {
            lines.append("free now: \(size(Double(freeBytes))) — " + (ridesOut == true ? "enough" : "NOT ENOUGH: add \(size(Double(neededBytes - freeBytes)))")
                + (freeDaysAtMean.map { String(format: "; lasts %.0f days at the mean rate", $0) } ?? "")
                + (freeDaysAtPeak.map { String(format: ", %.0f at the busiest weekday's", $0) } ?? ""))
        }
        for restore in restores {
            if let seconds = restore.seconds, let rate = restore.bytesPerSecond {
                lines.append("full restore from \(restore.target): \(size(Double(restore.bytes))) at \(size(rate))/s (last drill) ≈ \(TimeLength.text(seconds))")
            } else {
                lines.append("full restore from \(restore.target): \(size(Double(restore.bytes))); no drill yet to measure the rate (lifeboat drill)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension CapacityPlan {
    /// The plan from the catalog: `historyDays` of ingest (or as many as there are; through
    /// `cache` when given), the free space where the data directory is, and each target's last
    /// passing drill (from `drills`).
    public static func make(catalog: Catalog, replicas: any ReplicationStore, drills store: any DrillStore, dataDirectory: String, targets: [String], downtimeHours: Double, marginPercent: Int,
                            historyDays: Int = 28, now: Date = Date(), cache: IngestHistoryCache? = nil) async throws -> CapacityPlan {
        let earliest = now.addingTimeInterval(-Double(historyDays) * 86400)
        let history = if let cache { try await cache.history(in: catalog, since: earliest, now: now) }
            else { try await catalog.ingestHistory(since: earliest) }
        let since = max(earliest, history.first?.hour ?? now)
        let drills = targets.isEmpty ? [] : try await store.drills(limit: 1000)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var restores: [TargetRestore] = []
        for target in targets {
            let (versions, bytes) = try await replicas.confirmedTotals(target: target)
            let drill = drills.first { $0.target == target && $0.passed }.flatMap { try? decoder.decode(DrillReport.self, from: Data($0.report.utf8)) }
            restores.append(TargetRestore(target: target, bytes: bytes, bytesPerSecond: drill?.bytesPerSecond,
                                          seconds: drill?.restoreSeconds(versions: versions, bytes: bytes)))
        }
        return make(history: history, since: since, now: now, downtimeHours: downtimeHours, marginPercent: marginPercent,
                    freeBytes: DiskSpace(of: dataDirectory)?.availableBytes, restores: restores)
    }

    /// "48h", "2d", "90m" in hours.
    public static func hours(_ text: String) -> Double? {
        guard let unit = text.last, let value = Double(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "h": return value
        case "d": return value * 24
        case "m": return value / 60
        default: return nil
        }
    }
}
