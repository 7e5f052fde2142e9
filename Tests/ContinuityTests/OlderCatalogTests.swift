import Archive
import Continuity
import Foundation
import GRDB
import Protection
import Testing

/// A catalog.sqlite made by the release before each component kept its own tables
/// (Tests/Fixtures, from lifeboat 622ac20) opens as it is: no migration runs again, what it
/// held reads back through the stores that own those tables now, and a new database gets
/// migrations of the very same names.
struct OlderCatalogTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/catalog-made-before-stores.sql").standardized.path

    static func migrations(_ pool: DatabasePool) async throws -> [String] {
        try await pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
    }

    @Test func aCatalogOfTheReleaseBeforeOpensUnchanged() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("older-catalog-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let dump = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        let queue = try DatabaseQueue(path: LocalArchive.catalogPath(in: root))
        try await queue.writeWithoutTransaction { db in try db.execute(sql: dump) } // the dump has its own BEGIN and COMMIT
        try queue.close()

        let archive = try LocalArchive(root: root)
        let before = try await Self.migrations(archive.catalog.pool)
        #expect(before.count == 12)
        let counts = try await archive.catalog.counts()
        #expect(counts.patients == 1 && counts.studies == 1 && counts.instances == 3 && counts.versions == 3)
        let stores = try ContinuityStores(pool: archive.catalog.pool)
        let alerts = stores.alerts
        #expect(try await Self.migrations(archive.catalog.pool) == before, "nothing ran again")
        let incidents = try await alerts.incidents()
        #expect(incidents.map(\.key) == ["pacs-down:PACS", "disk-filling:data"], "open first")
        #expect(incidents[0].kind == .pacsDown && incidents[0].severity == .critical && incidents[0].resolvedAt == nil)
        #expect(incidents[1].kind == .diskFilling && incidents[1].severity == .warning && incidents[1].resolvedAt != nil)
        #expect(try await alerts.resolveIncident(key: "pacs-down:PACS")?.kind == .pacsDown)
        let downtime = try #require(try await stores.downtimes.downtimes().first)
        #expect(downtime.node == "PACS" && downtime.startedBy == "watch" && downtime.endedAt == nil)
        #expect(try await stores.downtimes.endDowntime(node: "PACS", by: "jane")?.id == downtime.id)
        #expect(try await alerts.openIncident(AlertIncident(key: "corruption:nas", kind: .corruption, subject: "nas", severity: .warning,
                                                            summary: "1 bad copy", openedAt: Date())))
        let finding = try #require(try await stores.integrity.findings().first)
        #expect(finding.place == "local" && finding.problem == .corrupt && finding.healedFrom == "nas" && finding.healedAt != nil && !finding.unrecoverable)
        #expect(try await stores.integrity.lastFindingID() == finding.id)
        let drill = try #require(try await stores.drills.drills().first)
        #expect(drill.target == "offsite" && drill.passed && drill.report.contains("52000000"))
        try await stores.drills.record(drill: "nas", startedAt: Date(), passed: false, report: "{}")
        #expect(try await stores.drills.drills().map(\.target) == ["nas", "offsite"], "newest first")
        let report = try #require(try await stores.commitments.commitmentReport("2.25.77"))
        #expect(report.committed.map(\.sopInstanceUID) == ["1.2.3.4.1"] && report.failed.map(\.reason) == [0x0110] && !report.sameAssociation)
        #expect(try await stores.commitments.commitmentRequest("2.25.77")?.instances == 2)
        #expect(try await stores.commitments.record(report) == .duplicate, "the first report stands")

        // A new database: the same migrations, by the same names, from the components that own them.
        let fresh = root + "-fresh"
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        let new = try LocalArchive(root: fresh)
        _ = try ContinuityStores(pool: new.catalog.pool)
        #expect(try await Self.migrations(new.catalog.pool) == before)
    }
}
