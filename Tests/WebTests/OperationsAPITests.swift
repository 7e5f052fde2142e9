import Archive
import Continuity
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
@testable import Web

/// GET /api/operations (the dashboard's figures) and GET /metrics (the same for Prometheus).
@Suite struct OperationsAPITests {
    func withServer(_ body: @escaping @Sendable (any TestClientProtocol, AccessFixture) async throws -> Void) async throws {
        let site = try TestArchive()
        try await site.seedOperations()
        let fixture = try AccessFixture(root: site.root)
        var server = WebServer(dicomweb: DICOMweb(engine: QueryEngine(catalog: site.archive.catalog, blobs: site.archive.blobs), ingestor: site.archive.ingestor),
                               access: fixture.access, catalog: site.archive.catalog)
        server.operations = ("LIFEBOAT", site.root)
        server.continuity = try ContinuityStores(pool: site.archive.catalog.pool)
        try await Application(router: server.router()).test(.router) { client in try await body(client, fixture) }
    }

    @Test func theDashboardFiguresAreOneRead() async throws {
        try await withServer { client, fixture in
            try await client.execute(uri: "/api/operations", method: .get, headers: [.authorization: "Bearer \(fixture.tokens[.radiologist]!)"]) {
                #expect($0.status == .forbidden, "a radiologist has no status permission")
            }
            try await SignedClient(inner: client, token: fixture.tokens[.administrator]!).execute(uri: "/api/operations", method: .get) { response in
                #expect(response.status == .ok)
                let ops = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(ops["node"] as? String == "LIFEBOAT")
                let targets = try #require(ops["targets"] as? [[String: Any]])
                #expect(targets.map { $0["name"] as? String } == ["nas", "offsite"])
                #expect(targets[1]["permanentFailures"] as? Int == 1)
                let scrub = try #require((ops["scrub"] as? [[String: Any]])?.first)
                #expect(scrub["place"] as? String == "local" && scrub["completedPasses"] as? Int == 3)
                #expect(abs((scrub["coveredPercent"] as? Double ?? 0) - 200.0 / 3) < 0.01, "two of three versions this pass")
                #expect((ops["findings"] as? [String: Int]) == ["found": 1, "healed": 1, "unhealed": 0, "unrecoverable": 0])
                let drills = try #require(ops["drills"] as? [[String: Any]])
                #expect(drills.map { $0["target"] as? String } == ["offsite", "nas", "nas"], "newest first")
                #expect(drills[0]["passed"] as? Bool == false && drills[0]["problems"] as? Int == 1 && drills[1]["bytesPerSecond"] as? Double == 95e6)
                let restore = try #require((ops["restores"] as? [[String: Any]])?.first)
                #expect(restore["target"] as? String == "offsite" && restore["recentVersions"] as? Int == 1000 && restore["recentBackAfter"] as? Double == 6.5
                        && restore["wholeBackAfter"] as? Double == 472.3 && restore["notRestored"] as? Int == 0, "\(restore)")
                #expect((ops["nodes"] as? [[String: Any]])?.first?["state"] as? String == "down")
                #expect((ops["downtimes"] as? [[String: Any]])?.first?["endedAt"] == nil)
                let disk = try #require(ops["disk"] as? [String: Any])
                #expect((disk["availableBytes"] as? Int64 ?? 0) > 0 && disk["ridesOut48Hours"] as? Bool == true)
                let alerts = try #require(ops["alerts"] as? [[String: Any]])
                #expect(alerts.map { $0["key"] as? String } == ["pacs-down:PACS", "corruption:nas"], "open first")
            }
        }
    }

    @Test func prometheusScrapesTheSameFigures() async throws {
        try await withServer { client, fixture in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(fixture.tokens[.service]!)"]) {
                #expect($0.status == .forbidden, "a service token reads images, not the archive's state")
            }
            // Prometheus scrapes with an auditor's token: the archive's state, no images.
            try await SignedClient(inner: client, token: fixture.tokens[.auditor]!).execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                for line in [
                    #"lifeboat_replication_permanent_failures{target="offsite"} 1.0"#, #"lifeboat_replication_queue_depth{target="nas"} 0.0"#,
                    #"lifeboat_scrub_completed_passes{place="local"} 3.0"#, "lifeboat_integrity_findings_30d 1.0", "lifeboat_integrity_unrecoverable 0.0",
                    #"lifeboat_drill_passed{target="offsite"} 0.0"#, #"lifeboat_drill_passed{target="nas"} 1.0"#,
                    #"lifeboat_drill_restore_bytes_per_second{target="nas"} 95000000.0"#,
                    #"lifeboat_node_state{node="PACS",state="down"} 1.0"#, #"lifeboat_node_state{node="PACS",state="up"} 0.0"#,
                    #"lifeboat_downtime_open{node="PACS"} 1.0"#, #"lifeboat_alerts_open{kind="pacs-down"} 1.0"#, #"lifeboat_alerts_open{kind="corruption"} 0.0"#,
                ] {
                    #expect(text.contains(line + "\n"), "\(line) in:\n\(text)")
                }
                #expect(text.contains("# TYPE lifeboat_disk_available_bytes gauge"))
                #expect(text.contains("# HELP lifeboat_replication_recovery_point_seconds "))
            }
        }
    }
}
