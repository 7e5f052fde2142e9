import Foundation
import Security
import TestSupport
import Testing

/// `lifeboat audit verify` on a real log, intact and tampered with.
@Suite struct AuditCommandTests {
    @Test func verifySaysIntactOrNamesTheFirstBrokenRecord() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("audit-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = try AuditLog(directory: data + "/audit")
        for index in 1...4 { try log.append(.view, actor: "dr\(index)", source: "10.0.0.1", subject: "P1") }
        let intact = try await Subprocess.run(DumpCommandTests.binary.path, ["audit", "verify", "--data", data])
        #expect(intact.status == 0 && intact.text == "audit log intact: 4 records, head \(log.head)\n", "\(intact.text)")

        var lines = try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.remove(at: 1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: log.path, atomically: true, encoding: .utf8)
        let tampered = try await Subprocess.run(DumpCommandTests.binary.path, ["audit", "verify", "--data", data])
        #expect(tampered.status == 1)
        #expect(tampered.text == "audit log TAMPERED at line 2: record 2 was removed before line 2 (1 record intact before it)\n", "\(tampered.text)")

        let none = try await Subprocess.run(DumpCommandTests.binary.path, ["audit", "verify", "--data", data + "/nothing"])
        #expect(none.status != 0 && none.errors.contains("no audit log here"))
    }

    /// A torn last line is told apart from tampering: intact, then the torn line named.
    @Test func verifyTellsATornLastLineFromTampering() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("audit-torn-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let log = try AuditLog(directory: data + "/audit")
        for index in 1...2 { try log.append(.view, actor: "dr\(index)", source: "10.0.0.1", subject: "P1") }
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"sequence":3,"ti"#.utf8))
        try handle.close()
        let run = try await Subprocess.run(DumpCommandTests.binary.path, ["audit", "verify", "--data", data])
        #expect(run.status == 0, "\(run.text)")
        #expect(run.text.contains("audit log intact: 2 records") && run.text.contains("then a torn last line of 17 bytes: a write cut short by a crash or a full disk, not tampering"),
                "\(run.text)")
    }
}
