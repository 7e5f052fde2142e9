import Archive
import Foundation
import TestSupport
import Testing

/// `lifeboat drill` as an administrator runs it.
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
}
