import Archive
import Continuity
import Testing

/// The watch's state machine, probe by probe.
@Suite struct NodeHealthTests {
    static let answered = NodeHealth.Probe(echoed: true, found: true, detail: "ok")
    static let echoOnly = NodeHealth.Probe(echoed: true, found: false, detail: "C-FIND failed")
    static let silent = NodeHealth.Probe(echoed: false, found: false, detail: "refused")

    @Test func downOnlyAfterEnoughSilenceAndUpAtTheFirstAnswer() {
        var health = NodeHealth(downAfter: 3)
        #expect(health.record(Self.answered) == .up)
        #expect(health.record(Self.answered) == nil, "no change, no event")
        #expect(health.record(Self.silent) == nil)
        #expect(health.record(Self.silent) == nil)
        #expect(health.record(Self.answered) == nil, "an answer resets the count")
        #expect(health.record(Self.silent) == nil && health.record(Self.silent) == nil)
        #expect(health.record(Self.silent) == .down)
        #expect(health.record(Self.silent) == nil, "down once per incident")
        #expect(health.record(Self.answered) == .up)
    }

    @Test func anEchoWithoutAQueryIsDegraded() {
        var health = NodeHealth(state: .up, downAfter: 2)
        #expect(health.record(Self.echoOnly) == .degraded)
        #expect(health.record(Self.echoOnly) == nil)
        #expect(health.record(Self.silent) == nil)
        #expect(health.record(Self.silent) == .down)
        #expect(health.record(Self.echoOnly) == .degraded)
        #expect(health.record(Self.answered) == .up)
    }

    @Test func comingBackCanAskForSeveralAnswers() {
        var health = NodeHealth(state: .down, downAfter: 1, upAfter: 2)
        #expect(health.record(Self.answered) == nil)
        #expect(health.record(Self.answered) == .up)
        #expect(health.state == .up)
    }
}
