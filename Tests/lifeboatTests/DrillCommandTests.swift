import Archive
import Foundation
import TestSupport
import Testing

/// `lifeboat drill` and `lifeboat plan` as an administrator runs them.
@Suite struct DrillCommandTests {
    @Test func aDrillNeedsATargetAndFailsWhenItHasNothingToRestore() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("drill-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        _ = try LocalArchive(root: work + "/data")
        let bare = try await Subprocess.run(DumpCommandTests.binary.path, ["drill", "--data", work + "/data"])
        #expect(bare.status != 0 && bare.errors.contains("no s3 or filesystem target in the configuration to drill"), "\(bare.errors)")

        try """
            data: \(work)/data
            replication-targets:
              - {name: nas, type: filesystem, path: \(work)/nas}
            """.write(toFile: work + "/lifeboat.yaml", atomically: true, encoding: .utf8)
        let unknown = try await Subprocess.run(DumpCommandTests.binary.path, ["drill", "--config", work + "/lifeboat.yaml", "--target", "offsite"])
        #expect(unknown.status != 0 && unknown.errors.contains("offsite is not an s3 or filesystem target of the configuration (nas)"), "\(unknown.errors)")
        let empty = try await Subprocess.run(DumpCommandTests.binary.path, ["drill", "--config", work + "/lifeboat.yaml"])
        #expect(empty.status == 1, "\(empty.text) \(empty.errors)")
        #expect(empty.text.contains("nas: FAILED") && empty.text.contains("the target has confirmed nothing to restore"), "\(empty.text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/data/drills").count == 1, "the evidence is kept")
    }

    @Test func aPlanSaysWhatToKeepFreeForTheOutageAsked() async throws {
        let site = try TestArchive()
        try await site.store(3, study: "1.2.826.0.1.3680043.10.96", pixels: 256 << 10)
        let plan = try await Subprocess.run(DumpCommandTests.binary.path, ["plan", "--downtime", "48h", "--data", site.root])
        #expect(plan.status == 0, "\(plan.errors)")
        #expect(plan.text.contains("a 48h downtime: the most received in any 48h was 0.8 MB; with a 50% margin keep 1.2 MB free"), "\(plan.text)")
        #expect(plan.text.contains("by modality (per day): CT 0.8 MB") && plan.text.contains("free now: "), "\(plan.text)")
        let json = try await Subprocess.run(DumpCommandTests.binary.path, ["plan", "--downtime", "2d", "--margin", "100", "--json", "--data", site.root])
        let object = try JSONSerialization.jsonObject(with: json.output) as? [String: Any]
        #expect(object?["downtimeHours"] as? Double == 48 && object?["marginPercent"] as? Int == 100)
        let bad = try await Subprocess.run(DumpCommandTests.binary.path, ["plan", "--downtime", "2w", "--data", site.root])
        #expect(bad.status != 0 && bad.errors.contains("expected a length such as 48h, 7d or 90m"), "\(bad.errors)")
    }
}
