@testable import DICOMNetwork
import Testing

/// The parts of C-MOVE and C-GET that need no peer: sub-operation counting, final statuses,
/// node addresses.
@Suite struct RetrieveCountingTests {
    @Test func countsAndFinalStatus() {
        var all = SubOperationProgress(total: 3)
        for uid in ["1", "2", "3"] { all.record(uid, status: .success, problem: nil) }
        #expect(all.counts == SubOperationCounts(remaining: 0, completed: 3))
        #expect(all.finalStatus == .success)

        var some = SubOperationProgress(total: 3)
        some.record("1", status: .success, problem: nil)
        some.record("2", status: nil, problem: "peer gone")
        some.record("3", status: DIMSEStatus(rawValue: 0xB007), problem: nil) // a warning
        #expect(some.counts == SubOperationCounts(remaining: 0, completed: 1, failed: 1, warning: 1))
        #expect(some.failedInstances == ["2"])
        #expect(some.firstProblem == "peer gone")
        #expect(some.finalStatus == .subOperationsCompleteWithFailures) // B000

        var none = SubOperationProgress(total: 2)
        none.record("1", status: .outOfResources, problem: nil)
        none.record("2", status: .outOfResources, problem: nil)
        #expect(none.finalStatus == .unableToPerformSubOperations) // A702
        #expect(none.firstProblem == "sub-operation status 0xA700")

        #expect(SubOperationProgress(total: 0).finalStatus == .success) // nothing matched: nothing failed
    }

    @Test func nodesAreWrittenAEAtHostColonPort() {
        #expect(DICOMNode("PACS@10.0.0.5:104") == DICOMNode(aeTitle: "PACS", host: "10.0.0.5", port: 104))
        #expect(DICOMNode("WS 1@ws1.example.org:11112")?.aeTitle == "WS 1")
        #expect(DICOMNode("PACS@10.0.0.5:104")?.description == "PACS@10.0.0.5:104")
        for bad in ["PACS@10.0.0.5", "PACS@:104", "@host:104", "PACS@host:0", "PACS@host:65536", "SEVENTEEN_CHARS_X@h:1", "PACS host:104"] {
            #expect(DICOMNode(bad) == nil, "\(bad)")
        }
    }
}
