import Archive
import Continuity
import Foundation
import Protection

extension TestArchive {
    /// A site with something to show on the operations dashboard: three instances; a NAS
    /// target caught up and an offsite one with a version failed for good; the local scrub
    /// three passes in; a bad copy found and healed; two passing drills of the NAS and a
    /// failed one of offsite; the PACS up, then down, with the downtime open; and the alerts
    /// that go with it (pacs-down open, a corruption resolved); and the restore that made the
    /// archive, as `lifeboat restore` reports it in `restores.jsonl`.
    public func seedOperations() async throws {
        try await store(3, study: "1.2.826.0.1.3680043.10.99", pixels: 32 << 10)
        let catalog = archive.catalog
        _ = try await catalog.replicas.activateReplicationTargets(["nas", "offsite"])
        try await catalog.replicas.confirmReplicas(target: "nas", items: try await catalog.replicas.nextOutboxItems(target: "nas", limit: 10))
        let owed = try await catalog.replicas.nextOutboxItems(target: "offsite", limit: 10)
        try await catalog.replicas.recordReplicationFailure(target: "offsite", item: owed[0], error: "403 AccessDenied: the key was revoked", permanent: true)
        let blobs = try await self.blobs()
        let integrity = try SQLiteIntegrityStore(pool: catalog.pool)
        try await integrity.save(ScrubCursor(place: "local", passStartedAt: Date().addingTimeInterval(-3600), lastVersion: 2, checkedBytes: 65536,
                                           completedPasses: 3, lastPassEndedAt: Date().addingTimeInterval(-7200)))
        try await integrity.save(IntegrityFinding(blob: blobs[0], place: "nas", problem: .corrupt, foundAt: Date().addingTimeInterval(-86400),
                                                healedAt: Date().addingTimeInterval(-86400), healedFrom: "local"))
        let drills = try SQLiteDrillStore(pool: catalog.pool)
        func drill(_ target: String, daysAgo: Double, passed: Bool, rate: Double) async throws {
            let at = Date().addingTimeInterval(-daysAgo * 86400)
            let report = """
                {"target":"\(target)","startedAt":"\(at.ISO8601Format())","seconds":2.5,"passed":\(passed),"studies":["1.2.826.0.1.3680043.10.99"],
                "newestDay":false,"instances":3,"bytes":100000,"bytesPerSecond":\(rate),"fullRestoreSeconds":\(Int(5e9 / rate)),
                "last24HoursSeconds":\(Int(4e8 / rate)),"recoveryPointSeconds":12,"failures":\(passed ? "[]" : "[{\"blob\":\"\(blobs[1].hex)\",\"studyInstanceUID\":\"1.2.826.0.1.3680043.10.99\",\"problem\":\"missing at offsite\"}]")}
                """
            try await drills.record(drill: target, startedAt: at, passed: passed, report: report)
        }
        try await drill("nas", daysAgo: 14, passed: true, rate: 80e6)
        try await drill("nas", daysAgo: 7, passed: true, rate: 95e6)
        try await drill("offsite", daysAgo: 1, passed: false, rate: 20e6)
        let downtimes = try SQLiteDowntimeStore(pool: catalog.pool)
        try await downtimes.record(NodeEvent(node: "PACS", state: .up, at: Date().addingTimeInterval(-7200), detail: "C-ECHO and C-FIND answered in 12 ms"))
        try await downtimes.record(NodeEvent(node: "PACS", state: .down, at: Date().addingTimeInterval(-1800), detail: "PACS at 10.0.0.5:104 unreachable: Connection refused"))
        try await downtimes.startDowntime(node: "PACS", at: Date().addingTimeInterval(-1800), by: "watch", reason: "found down by the PACS watch")
        let alerts = try SQLiteAlertStore(pool: catalog.pool)
        _ = try await alerts.openIncident(AlertIncident(key: "pacs-down:PACS", kind: .pacsDown, subject: "PACS", severity: .critical,
                                                        summary: "PACS is down", openedAt: Date().addingTimeInterval(-1800)))
        _ = try await alerts.openIncident(AlertIncident(key: "corruption:nas", kind: .corruption, subject: "nas", severity: .warning,
                                                        summary: "1 bad copy found at nas", openedAt: Date().addingTimeInterval(-86400)))
        _ = try await alerts.resolveIncident(key: "corruption:nas", at: Date().addingTimeInterval(-86300))
        let restore = """
            {"alreadyHere":0,"beyondSnapshot":500,"bytes":1725000000,"catalogAfter":0.4,"failed":[],\
            "recent":{"bytes":525000000,"done":1000,"finishedAfter":6.5,"total":1000,"totalBytes":525000000},"restored":101000,"seconds":472.3,\
            "snapshot":"catalog/20261206T020000Z.sqlite","startedAt":"\(Date().addingTimeInterval(-30 * 86400).ISO8601Format())","stragglers":0,\
            "target":"offsite","versions":101000,\
            "whole":{"bytes":1725000000,"done":101000,"finishedAfter":472.3,"total":101000,"totalBytes":1725000000}}

            """
        try restore.write(toFile: root + "/restores.jsonl", atomically: true, encoding: .utf8)
    }
}
