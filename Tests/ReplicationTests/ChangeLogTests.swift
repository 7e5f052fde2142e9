@testable import Archive
import Foundation
@testable import Replication
import TestSupport
import Testing

/// The change log a target keeps: every version it confirmed, shipped from a cursor in the
/// order of the confirmations' times. Confirmations commit one transaction at a time, but
/// each is stamped before it waits for the write lock — so one can commit after another
/// stamped later (or in the same millisecond, with a higher version), and after the change
/// log has shipped that one.
@Suite struct ChangeLogTests {
    /// `earlier`: how much earlier the confirmation committed second was stamped.
    @Test(arguments: [1.0, 0.0])
    func aConfirmationCommittedBehindTheShippedCursorIsShippedNext(earlier: TimeInterval) async throws {
        try await CatalogFixture.withCatalog { catalog in
            try await catalog.replicas.activateReplicationTargets(["s3"])
            _ = try await catalog.record([CatalogFixture.entry(instance: "3.1", study: "8.1", bytes: "low"),
                                          CatalogFixture.entry(instance: "3.2", study: "8.1", bytes: "high")])
            let items = try await catalog.replicas.nextOutboxItems(target: "s3", limit: 10).sorted { $0.versionID < $1.versionID }
            let stamped = Date()
            // The higher version's confirmation commits first; the change log ships it.
            try await catalog.replicas.confirmReplicas(target: "s3", items: [items[1]], at: stamped)
            let (first, cursor) = try await catalog.replicas.confirmedChanges(target: "s3", after: nil, limit: 10)
            #expect(first.map(\.sopInstanceUID) == ["3.2"])
            // The lower version's, stamped no later, commits after.
            try await catalog.replicas.confirmReplicas(target: "s3", items: [items[0]], at: stamped.addingTimeInterval(-earlier))
            let (next, after) = try await catalog.replicas.confirmedChanges(target: "s3", after: cursor, limit: 10)
            #expect(next.map(\.sopInstanceUID) == ["3.1"], "shipped after what was shipped before it")
            #expect(try await catalog.replicas.confirmedChanges(target: "s3", after: after, limit: 10).0.isEmpty)
        }
    }
}
