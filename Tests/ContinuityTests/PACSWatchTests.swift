import Archive
@testable import Continuity
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// The watch against a real PACS stand-in that goes down and comes back.
@Suite(.serialized) struct PACSWatchTests {
    let site: TestArchive
    let scratch: String

    init() throws {
        site = try TestArchive()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
    }

    func watch(_ port: Int, downAfter: Int = 2, interval: Duration = .seconds(30)) throws -> (PACSWatch, DICOMNode) {
        let node = DICOMNode("PACS@127.0.0.1:\(port)")!
        return (PACSWatch(store: try SQLiteDowntimeStore(pool: site.archive.catalog.pool), options: .init(nodes: [node], callingAETitle: "LIFEBOAT", interval: interval, downAfter: downAfter,
                                                                       probeTimeout: .seconds(30))), node)
    }

    @Test func anOutageOpensADowntimeAndTheReturnClosesIt() async throws {
        var pacs = try await PACSStandIn(directory: scratch)
        let (watch, node) = try watch(pacs.port)
        var health = NodeHealth(downAfter: 2)
        // A loaded CI machine may take seconds to answer a first association: the probes wait long enough.
        func probe() async { await watch.take(await PACSWatch.probe(node, callingAETitle: "LIFEBOAT", timeout: .seconds(30)), for: node, into: &health) }

        await probe()
        #expect(health.state == .up)
        pacs.stop()
        await probe()
        #expect(health.state == .up, "one unanswered probe is not an outage")
        #expect(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).downtimes().isEmpty)
        await probe()
        #expect(health.state == .down)
        let open = try #require(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).downtimes().first)
        #expect(open.endedAt == nil && open.startedBy == "watch" && open.reason.contains("unreachable"), "\(open.reason)")

        pacs = try await PACSStandIn(port: pacs.port, directory: scratch)
        defer { pacs.stop() }
        await probe()
        #expect(health.state == .up)
        let closed = try #require(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).downtimes().first)
        #expect(closed.id == open.id && closed.endedAt != nil && closed.endedBy == "watch")
        let states = try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).nodeEvents(node: "PACS").map(\.state)
        #expect(states == [.up, .down, .up], "newest first, one event per change")
    }

    @Test func aDowntimeAnOperatorOpenedStaysOpenUntilTheOperatorClosesIt() async throws {
        let pacs = try await PACSStandIn(directory: scratch)
        defer { pacs.stop() }
        let (watch, node) = try watch(pacs.port)
        try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).startDowntime(node: "PACS", by: "jane", reason: "PACS database restore")
        var health = NodeHealth(state: .down, downAfter: 2)
        await watch.take(await PACSWatch.probe(node, callingAETitle: "LIFEBOAT", timeout: .seconds(30)), for: node, into: &health)
        #expect(health.state == .up)
        #expect(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).downtimes().first?.endedAt == nil)
        let ended = try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).endDowntime(node: "PACS", by: "jane")
        #expect(ended?.endedBy == "jane")
        #expect(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).endDowntime(node: "PACS", by: "jane") == nil, "nothing left open")
    }

    @Test func theLoopProbesOnItsScheduleAndAPortWithNothingOnItIsDown() async throws {
        let (watch, _) = try watch(LoopbackPort.free(), downAfter: 2, interval: .milliseconds(200))
        let running = Task { await watch.run() }
        defer { running.cancel() }
        try await Polling.waitUntil(seconds: 20) { try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).latestNodeEvents().first?.state == .down }
        let event = try #require(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).latestNodeEvents().first)
        #expect(event.detail.contains("unreachable"), "\(event.detail)")
        #expect(try await SQLiteDowntimeStore(pool: site.archive.catalog.pool).downtimes().first?.endedAt == nil)
    }
}
