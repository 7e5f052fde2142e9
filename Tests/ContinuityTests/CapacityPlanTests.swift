import Archive
@testable import Continuity
import Foundation
import TestSupport
import Testing

/// Downtime capacity planning from an ingest history whose answers are known.
@Suite struct CapacityPlanTests {
    static let monday = try! Date("2026-11-16T00:00:00Z", strategy: .iso8601)

    /// Monday to Wednesday, 8:00 to 18:00, 1 GB of CT an hour; on Tuesday 10:00 to 14:00 an MR burst of 4 GB an hour.
    static var history: [IngestHour] {
        var hours: [IngestHour] = []
        for day in 0..<3 {
            for hour in 8..<18 {
                let start = monday.addingTimeInterval(Double(day * 86400 + hour * 3600))
                hours.append(IngestHour(hour: start, modality: "CT", studies: 2, instances: 100, bytes: 1_000_000_000))
                if day == 1 && (10..<14).contains(hour) {
                    hours.append(IngestHour(hour: start, modality: "MR", studies: 1, instances: 400, bytes: 4_000_000_000))
                }
            }
        }
        return hours
    }

    @Test func theBusiestWindowWithItsMarginIsWhatMustBeFree() {
        let plan = CapacityPlan.make(history: Self.history, since: Self.monday, now: Self.monday.addingTimeInterval(3 * 86400), downtimeHours: 4,
                                     marginPercent: 50, freeBytes: 100_000_000_000,
                                     restores: [.init(target: "offsite", bytes: 46_000_000_000, bytesPerSecond: 100_000_000, seconds: 460)])
        #expect(plan.historyDays == 3)
        #expect(plan.peakWindowBytes == 20_000_000_000, "Tuesday 10:00-14:00: 4 hours of 5 GB")
        #expect(plan.neededBytes == 30_000_000_000)
        #expect(plan.ridesOut == true)
        #expect(abs(plan.meanBytesPerDay - 46e9 / 3) < 1)
        #expect(plan.weekdays.map(\.name) == ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
        #expect(plan.weekdays.map(\.bytes) == [0, 10e9, 26e9, 10e9, 0, 0, 0])
        #expect(plan.weekdays[2].studies == 24, "20 CT studies and 4 MR")
        #expect(plan.modalities.map(\.name) == ["CT", "MR"] && plan.modalities[1].bytesPerDay == 16e9 / 3)
        #expect(abs((plan.freeDaysAtMean ?? 0) - 100e9 / (46e9 / 3)) < 0.001 && abs((plan.freeDaysAtPeak ?? 0) - 100e9 / 26e9) < 0.001)
        #expect(plan.text.contains("a 4h downtime: the most received in any 4h was 20.0 GB; with a 50% margin keep 30.0 GB free"), "\(plan.text)")
        #expect(plan.text.contains("full restore from offsite: 46.0 GB at 100.0 MB/s (last drill) ≈ 7m40s"), "\(plan.text)")

        // A longer outage than the busy spell: the window takes in the quieter hours around it.
        let twoDays = CapacityPlan.make(history: Self.history, since: Self.monday, now: Self.monday.addingTimeInterval(3 * 86400), downtimeHours: 48,
                                        marginPercent: 0, freeBytes: 30_000_000_000, restores: [])
        #expect(twoDays.peakWindowBytes == 36_000_000_000, "Tuesday and Wednesday")
        #expect(twoDays.ridesOut == false && twoDays.text.contains("NOT ENOUGH: add 6.0 GB"), "\(twoDays.text)")
    }

    @Test func lengthsAreReadAsAnAdministratorWritesThem() {
        #expect(CapacityPlan.hours("48h") == 48 && CapacityPlan.hours("7d") == 168 && CapacityPlan.hours("90m") == 1.5)
        #expect(CapacityPlan.hours("48") == nil && CapacityPlan.hours("-2h") == nil && CapacityPlan.hours("2w") == nil)
        // And written back as the drill, the plan and `lifeboat downtime` print them.
        #expect(TimeLength.text(42.4) == "42s" && TimeLength.text(1802) == "30m02s" && TimeLength.text(7500) == "2h05m")
    }

    @Test func thePlanReadsTheCatalogAndTheLastDrill() async throws {
        let site = try TestArchive()
        try await site.store(4, study: "1.2.826.0.1.3680043.10.95", pixels: 64 << 10)
        let report = DrillReport(target: "nas", startedAt: Date(), seconds: 1, passed: true, studies: [], newestDay: false, instances: 4, bytes: 1_000_000,
                                 bytesPerSecond: 2_000_000, snapshot: nil, snapshotAgeSeconds: nil, fullRestoreSeconds: nil, last24HoursSeconds: nil,
                                 recoveryPointSeconds: 0, failures: [])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let drills = try SQLiteDrillStore(pool: site.archive.catalog.pool)
        try await drills.record(drill: "nas", startedAt: Date(), passed: true, report: String(decoding: try encoder.encode(report), as: UTF8.self))
        let plan = try await CapacityPlan.make(catalog: site.archive.catalog, replicas: try site.archive.catalog.replicas, drills: drills, dataDirectory: site.root, targets: ["nas"], downtimeHours: 48, marginPercent: 50)
        let stored = try await site.archive.catalog.scrubTotals().bytes
        #expect(plan.peakWindowBytes == Int64(stored) && plan.neededBytes == Int64((Double(stored) * 1.5).rounded(.up)))
        #expect(plan.modalities.map(\.name) == ["CT"])
        #expect(plan.freeBytes != nil && plan.restores.first?.bytesPerSecond == 2_000_000)
        #expect(plan.restores.first?.bytes == 0, "nothing confirmed at nas yet")
    }

    @Test func theForecastsHistoryIsReadAgainOnlyOnceItIsOld() async throws {
        let site = try TestArchive()
        try await site.store(2, study: "1.2.826.0.1.3680043.10.96", pixels: 16 << 10)
        let cache = IngestHistoryCache(lifetime: .seconds(300))
        let now = Date()
        let since = now.addingTimeInterval(-28 * 86400)
        let first = try await cache.history(in: site.archive.catalog, since: since, now: now)
        #expect(first.map(\.instances).reduce(0, +) == 2)
        try await site.store(3, study: "1.2.826.0.1.3680043.10.97", pixels: 16 << 10)
        // A minute on, the same four weeks: as read before, the newest study not yet in it.
        let minuteOn = try await cache.history(in: site.archive.catalog, since: since.addingTimeInterval(60), now: now.addingTimeInterval(60))
        #expect(minuteOn == first)
        // Older than its lifetime, or reaching back further than it was read: read afresh.
        let later = try await cache.history(in: site.archive.catalog, since: since.addingTimeInterval(301), now: now.addingTimeInterval(301))
        #expect(later.map(\.instances).reduce(0, +) == 5)
        try await site.store(1, study: "1.2.826.0.1.3680043.10.98", pixels: 16 << 10)
        let earlier = try await cache.history(in: site.archive.catalog, since: since.addingTimeInterval(-3600), now: now.addingTimeInterval(302))
        #expect(earlier.map(\.instances).reduce(0, +) == 6)
    }
}
