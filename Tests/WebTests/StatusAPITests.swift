import Archive
import Continuity
import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Web

/// GET /api/replication/status, the figures a dashboard or monitoring system polls.
@Suite struct StatusAPITests {
    @Test func replicationStatusListsEachActiveTargetWithItsRecoveryPoint() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let archive = try LocalArchive(root: root)
        try await archive.catalog.replicas.activateReplicationTargets(["offsite", "nas"])
        let path = "\(root)/one.dcm"
        try Data(try DICOMwebTests.part10(instance: "1.2.3.9.1")).write(to: URL(fileURLWithPath: path))
        guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: path) else { Issue.record("not imported"); return }
        try await archive.catalog.replicas.confirmReplicas(target: "nas", items: try await archive.catalog.replicas.nextOutboxItems(target: "nas", limit: 10))
        try await archive.catalog.replicas.activateReplicationTargets(["offsite", "nas"])

        let engine = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: "LIFEBOAT")
        let fixture = try AccessFixture(root: root)
        var server = WebServer(dicomweb: DICOMweb(engine: engine, ingestor: archive.ingestor), access: fixture.access, catalog: archive.catalog)
        server.continuity = try ContinuityStores(pool: archive.catalog.pool)
        try await Application(router: server.router()).test(.router) { client in
            try await client.execute(uri: "/api/replication/status", method: .get, headers: [.authorization: "Bearer \(fixture.tokens[.radiologist]!)"]) {
                #expect($0.status == .forbidden, "a radiologist has no status permission")
            }
            let client = SignedClient(inner: client, token: fixture.tokens[.auditor]!)
            try await client.execute(uri: "/api/replication/status", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let targets = try #require(object["targets"] as? [[String: Any]])
                #expect(targets.map { $0["name"] as? String } == ["nas", "offsite"])
                #expect(targets[0]["queueDepth"] as? Int == 0 && targets[0]["recoveryPointSeconds"] as? Double == 0)
                #expect(targets[1]["queueDepth"] as? Int == 1, "offsite still owes the instance")
                #expect((targets[1]["recoveryPointSeconds"] as? Double ?? -1) >= 0)
                #expect(targets[1]["oldestUnreplicatedAt"] is String)
            }
        }
    }
}
