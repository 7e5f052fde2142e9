import Archive
import Foundation
import Replication
import Security
import TestSupport
import Testing

/// `lifeboat verify` on a real data directory and a directory target named in a
/// configuration file, with copies damaged by hand.
@Suite struct VerifyCommandTests {
    static func flip(_ path: String) throws {
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func findsEveryBadCopyHealsItAndRecordsItInTheAuditTrail() async throws {
        let site = try TestArchive()
        let nas = try FileSystemTarget(name: "nas", root: site.root + "-nas")
        defer { try? FileManager.default.removeItem(atPath: nas.root) }
        let blobs = try await site.store(12, study: "1.2.826.0.30.1")
        try await site.replicate([nas])
        let config = site.root + "/lifeboat.yaml"
        try """
            data: \(site.root)
            replication-targets:
              - {name: nas, type: filesystem, path: "\(nas.root)"}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        // Distinct blobs: one bad here and missing there would have no good copy at all.
        let shuffled = blobs.shuffled()
        let bad = Array(shuffled.prefix(4)), remote = Array(shuffled.dropFirst(4).prefix(3))
        for blob in bad { try Self.flip(try #require(site.archive.blobs.localPath(of: blob))) }
        for blob in remote { try FileManager.default.removeItem(atPath: "\(nas.root)/\(TargetLayout.blobKey(blob))") }

        // --local-only looks at no target: a bad local copy is not healed, nor said to have no good copy.
        let local = try await Subprocess.run(DumpCommandTests.binary.path, ["verify", "--config", config, "--local-only"])
        #expect(local.status == 1 && local.text.contains("local: 12 checked") && !local.text.contains("nas:"), "\(local.text)")
        #expect(!local.text.contains("NO GOOD COPY") && local.text.contains("not healed (--local-only: the targets were not looked at)"), "\(local.text)")

        let unhealed = try await Subprocess.run(DumpCommandTests.binary.path, ["verify", "--config", config, "--no-heal"])
        #expect(unhealed.status == 1, "bad copies left: \(unhealed.text)")
        #expect(unhealed.text.contains("local: 12 checked"))
        #expect(unhealed.text.contains("4 bad (4 corrupt), 0 healed"), "\(unhealed.text)")
        #expect(unhealed.text.contains("nas: 12 checked"))
        #expect(unhealed.text.contains("3 bad (3 missing), 0 healed"), "\(unhealed.text)")

        let healed = try await Subprocess.run(DumpCommandTests.binary.path, ["verify", "--config", config])
        #expect(healed.status == 0, "\(healed.text) \(healed.errors)")
        #expect(healed.text.contains("4 bad (4 corrupt), 4 healed") && healed.text.contains("3 bad (3 missing), 3 healed"), "\(healed.text)")
        for blob in blobs { #expect(try await site.archive.blobs.verify(blob)) }

        let again = try await Subprocess.run(DumpCommandTests.binary.path, ["verify", "--config", config])
        #expect(again.status == 0 && again.text.contains("local: 12 checked (") && again.text.contains("all intact"), "\(again.text)")

        // Found (twice: the report-only run and the healing one) and healed, in an intact trail.
        let trail = try String(contentsOfFile: site.root + "/audit/audit.log", encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }.filter { $0.action == .integrity }
        #expect(trail.filter { $0.detail.hasSuffix("healed from nas") }.count == 4)
        #expect(trail.filter { $0.detail.hasSuffix("healed from local") }.count == 3)
        let verified = try await Subprocess.run(DumpCommandTests.binary.path, ["audit", "verify", "--data", site.root])
        #expect(verified.status == 0, "\(verified.text)")
    }

    @Test func aDataDirectoryWithoutACatalogIsRefusedPlainly() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString)").path
        let result = try await Subprocess.run(DumpCommandTests.binary.path, ["verify", "--data", empty])
        #expect(result.status != 0 && result.errors.contains("no catalog here"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: empty), "nothing made")
    }
}
