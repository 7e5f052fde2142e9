import Archive
import Continuity
import Foundation
import TestSupport
import Testing

/// The commitment transactions failback opens, in the node's real SQLite database.
struct CommitmentStoreTests {
    /// A commitment report is kept only for a request of this node, and the first one stands.
    @Test func aCommitmentReportIsKeptForItsRequestOnlyOnce() async throws {
        let site = try TestArchive()
        let store = try SQLiteCommitmentStore(pool: site.archive.catalog.pool)
        let reference = CommitmentReport.Reference(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: "1.2.3.4")
        let report = CommitmentReport(transactionUID: "2.25.5", reportedBy: "PACS", sameAssociation: false, committed: [reference], failed: [])
        #expect(try await store.record(report) == .unknownTransaction)
        try await store.recordCommitmentRequest(transactionUID: "2.25.5", node: "PACS", instances: 1)
        #expect(try await store.commitmentReport("2.25.5") == nil)
        #expect(try await store.record(report) == .recorded)
        var second = report
        second.committed = []
        second.failed = [.init(reference: reference, reason: 0x0110)]
        #expect(try await store.record(second) == .duplicate)
        let kept = try #require(try await store.commitmentReport("2.25.5"))
        #expect(kept.committed == [reference] && kept.failed.isEmpty && kept.reportedBy == "PACS" && !kept.sameAssociation)
        #expect(try await store.commitmentRequest("2.25.5")?.instances == 1)
    }
}
