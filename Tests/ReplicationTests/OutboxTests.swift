@testable import Archive
import Foundation
@testable import Replication
import TestSupport
import Testing

/// The replication outbox in the catalog: what each target is owed, in what order, and what
/// it holds.
@Suite struct OutboxTests {
    static func entry(_ instance: String, study: String, bytes: String, at date: Date) -> CatalogEntry {
        var entry = CatalogFixture.entry(instance: instance, series: study + ".1", study: study, bytes: bytes)
        entry.provenance.receivedAt = date
        return entry
    }

    @Test func aVersionIsOwedToEveryActiveTargetInTheSameTransaction() async throws {
        try await CatalogFixture.withCatalog { catalog in
            _ = try await catalog.record([CatalogFixture.entry(instance: "1.1", bytes: "before any target")])
            #expect(try await catalog.replicas.activateReplicationTargets(["s3", "nas"]) == ["s3": 1, "nas": 1], "a new target gets a backfill")
            _ = try await catalog.record([CatalogFixture.entry(instance: "1.2", bytes: "two")])
            _ = try await catalog.record([CatalogFixture.entry(instance: "1.2", bytes: "two")]) // a duplicate owes nothing new
            _ = try await catalog.record([CatalogFixture.entry(instance: "1.2", bytes: "two, changed")]) // a new version does
            for target in ["s3", "nas"] {
                #expect(try await catalog.replicas.nextOutboxItems(target: target, limit: 10).map(\.sopInstanceUID).sorted() == ["1.1", "1.2", "1.2"])
            }
            #expect(try await catalog.replicas.activateReplicationTargets(["s3", "nas"]) == [:], "already active: nothing more owed")
        }
    }

    @Test func liveWorkComesFirstOldestFirstThenTheBackfillNewestStudyFirst() async throws {
        try await CatalogFixture.withCatalog { catalog in
            let day: TimeInterval = 86400
            let start = Date(timeIntervalSince1970: 1_700_000_000)
            _ = try await catalog.record([Self.entry("old", study: "9.1", bytes: "old", at: start)])
            _ = try await catalog.record([Self.entry("newer", study: "9.2", bytes: "newer", at: start + 10 * day)])
            _ = try await catalog.record([Self.entry("middle", study: "9.3", bytes: "middle", at: start + 5 * day)])
            try await catalog.replicas.activateReplicationTargets(["s3"])
            _ = try await catalog.record([Self.entry("live 1", study: "9.4", bytes: "live 1", at: start + 20 * day)])
            _ = try await catalog.record([Self.entry("live 2", study: "9.4", bytes: "live 2", at: start + 20 * day + 1)])
            let order = try await catalog.replicas.nextOutboxItems(target: "s3", limit: 10).map(\.sopInstanceUID)
            #expect(order == ["live 1", "live 2", "newer", "middle", "old"])
            let inFlight = Set(try await catalog.replicas.nextOutboxItems(target: "s3", limit: 2).map(\.id))
            #expect(try await catalog.replicas.nextOutboxItems(target: "s3", limit: 2, excluding: inFlight).map(\.sopInstanceUID) == ["newer", "middle"])
        }
    }

    @Test func confirmedVersionsLeaveTheOutboxAndTheirStudysManifestFollows() async throws {
        try await CatalogFixture.withCatalog { catalog in
            try await catalog.replicas.activateReplicationTargets(["s3"])
            _ = try await catalog.record([CatalogFixture.entry(instance: "2.1", study: "7.1", bytes: "a"),
                                          CatalogFixture.entry(instance: "2.2", study: "7.1", bytes: "b")])
            let items = try await catalog.replicas.nextOutboxItems(target: "s3", limit: 10)
            try await catalog.replicas.confirmReplicas(target: "s3", items: [items[0]])
            #expect(try await catalog.replicas.staleManifests(target: "s3", limit: 10).isEmpty, "not while the study still owes the target an instance")
            try await catalog.replicas.confirmReplicas(target: "s3", items: [items[1]])
            let manifests = try await catalog.replicas.staleManifests(target: "s3", limit: 10)
            #expect(manifests.map(\.studyInstanceUID) == ["7.1"])
            #expect(manifests.first?.instances.map(\.sha256).sorted() == [BlobID(of: Array("a".utf8)).hex, BlobID(of: Array("b".utf8)).hex].sorted())
            #expect(manifests.first?.patientID == "P1")
            try await catalog.replicas.manifestWritten(manifests[0], target: "s3")
            #expect(try await catalog.replicas.staleManifests(target: "s3", limit: 10).isEmpty)
            #expect(try await catalog.replicas.nextOutboxItems(target: "s3", limit: 10).isEmpty)
            let status = try #require(try await catalog.replicas.replicationStatus().first)
            #expect(status.queueDepth == 0)
            #expect(status.replicatedLastMinute == 2)
            #expect(status.lastSuccessAt != nil)
        }
    }

    @Test func aPermanentFailureIsSetAsideNotDroppedAndCanBeRetried() async throws {
        try await CatalogFixture.withCatalog { catalog in
            try await catalog.replicas.activateReplicationTargets(["pacs"])
            _ = try await catalog.record([CatalogFixture.entry(instance: "3.1", bytes: "x"), CatalogFixture.entry(instance: "3.2", bytes: "y")])
            let items = try await catalog.replicas.nextOutboxItems(target: "pacs", limit: 10)
            try await catalog.replicas.recordReplicationFailure(target: "pacs", item: items[0], error: "A900 refused", permanent: true)
            try await catalog.replicas.recordReplicationFailure(target: "pacs", item: items[1], error: "connection refused", permanent: false)
            let next = try await catalog.replicas.nextOutboxItems(target: "pacs", limit: 10)
            #expect(next.map(\.sopInstanceUID) == ["3.2"])
            #expect(next.first?.attempts == 1)
            var status = try #require(try await catalog.replicas.replicationStatus().first)
            #expect(status.permanentFailures == 1)
            #expect(status.queueDepth == 1)
            #expect(status.lastError == "connection refused")
            #expect(status.oldestUnreplicatedAt != nil)
            #expect(try await catalog.replicas.retryPermanentFailures(target: "pacs") == 1)
            status = try #require(try await catalog.replicas.replicationStatus().first)
            #expect(status.permanentFailures == 0 && status.queueDepth == 2)
        }
    }

    @Test func anInactiveTargetGetsNoNewWorkAndCatchesUpWhenBack() async throws {
        try await CatalogFixture.withCatalog { catalog in
            try await catalog.replicas.activateReplicationTargets(["a", "b"])
            _ = try await catalog.record([CatalogFixture.entry(instance: "4.1", bytes: "1")])
            let first = try await catalog.replicas.nextOutboxItems(target: "b", limit: 10)
            try await catalog.replicas.confirmReplicas(target: "b", items: first)
            try await catalog.replicas.activateReplicationTargets(["a"])
            _ = try await catalog.record([CatalogFixture.entry(instance: "4.2", bytes: "2")])
            #expect(try await catalog.replicas.nextOutboxItems(target: "b", limit: 10).isEmpty)
            #expect(try await catalog.replicas.activateReplicationTargets(["a", "b"]) == ["b": 1], "back: owed only what it lacks")
            #expect(try await catalog.replicas.nextOutboxItems(target: "b", limit: 10).map(\.sopInstanceUID) == ["4.2"])
            #expect(try await catalog.replicas.replicationStatus().map(\.active) == [true, true])
        }
    }

    /// A backfill of a large archive: finding the manifests due, and reading one, costs the
    /// same with ten times the studies owed (each once scanned the target's whole outbox).
    @Test func manifestsDueAreFoundAsFastInATenTimesLargerBackfill() async throws {
        func seconds(studies: Int) async throws -> Double {
            var best = Double.infinity
            try await CatalogFixture.withCatalog { catalog in
                for start in stride(from: 0, to: studies, by: 1000) {
                    _ = try await catalog.record((start..<min(studies, start + 1000)).map {
                        CatalogFixture.entry(instance: "8.\($0).1", series: "8.\($0).2", study: "8.\($0)", bytes: "study \($0)")
                    })
                }
                try await catalog.replicas.activateReplicationTargets(["s3"])
                // Half the studies at the target, the other half still owed.
                try await catalog.replicas.confirmReplicas(target: "s3", items: try await catalog.replicas.nextOutboxItems(target: "s3", limit: studies / 2))
                for _ in 0..<5 {
                    let clock = ContinuousClock.now
                    let due = try await catalog.replicas.staleManifests(target: "s3", limit: 64)
                    best = min(best, (ContinuousClock.now - clock).inSeconds)
                    #expect(due.count == 64 && due.allSatisfy { $0.instances.count == 1 })
                }
            }
            return best
        }
        let small = try await seconds(studies: 2000), large = try await seconds(studies: 20000)
        print(String(format: "64 manifests due found and read in %.2f ms of 2,000 studies owed, %.2f ms of 20,000", small * 1000, large * 1000))
        #expect(large / small < 4, "\(large) s against \(small) s")
    }
}
