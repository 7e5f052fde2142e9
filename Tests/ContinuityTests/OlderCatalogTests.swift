import Archive
import Continuity
import Foundation
import GRDB
import Protection
import Replication
import TestSupport
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
        // A version recorded by a command that opens the catalog alone, before Replication's
        // store first opens the database: owed to the active target all the same.
        _ = try await archive.catalog.record([CatalogFixture.entry(instance: "1.2.3.4.9", study: "1.2.3.9", bytes: "imported alone")])
        let stores = try ContinuityStores(pool: archive.catalog.pool)
        let alerts = stores.alerts
        let after = try await Self.migrations(archive.catalog.pool)
        #expect(after == (before + ["13: versions owed to the active targets as they are recorded"]).sorted(), "nothing ran again; only the trigger is new")
        let replicas = stores.replication
        let held = try #require(try await archive.catalog.versions(of: "1.2.826.0.1.3680043.10.543.1.1.2").first?.blob)
        #expect(try await replicas.replicaTargets(of: held) == ["offsite"])
        var owed = try await replicas.nextOutboxItems(target: "offsite", limit: 10)
        #expect(owed.map(\.versionID) == [2, 3, 4], "the release's outbox first, by rank, then the version recorded alone")
        #expect(owed[1].attempts == 2 && owed[2].sopInstanceUID == "1.2.3.4.9")
        _ = try await archive.catalog.record([CatalogFixture.entry(instance: "1.2.3.4.10", study: "1.2.3.9", bytes: "stored now")])
        owed = try await replicas.nextOutboxItems(target: "offsite", limit: 10)
        #expect(owed.map(\.versionID) == [2, 3, 4, 5], "owed by the trigger as it is recorded")
        #expect(owed[3].enqueuedAt == (try await archive.catalog.versions(of: "1.2.3.4.10").first?.receivedAt))
        #expect(try await replicas.replicationStatus().map { "\($0.name) \($0.queueDepth)" } == ["offsite 4"])
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
        #expect(try await Self.migrations(new.catalog.pool) == after)
    }
}
