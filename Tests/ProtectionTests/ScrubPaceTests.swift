import Foundation
import Protection
import Testing

@Suite struct ScrubPaceTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aPassIsSpreadOverItsPeriod() {
        let pace = ScrubPace(period: .seconds(7 * 86400), maxBytesPerSecond: 0)
        let next = pace.nextCheck(passStartedAt: start, covered: 250, total: 1000, readStartedAt: start, read: 250)
        #expect(next == start.addingTimeInterval(7 * 86400 / 4), "a quarter covered: due a quarter into the week")
        #expect(pace.nextCheck(passStartedAt: start, covered: 2000, total: 1000, readStartedAt: start, read: 0) == start.addingTimeInterval(7 * 86400),
                "grown past the total seen at the start: due at the period's end, no later")
        #expect(pace.nextCheck(passStartedAt: start, covered: 0, total: 0, readStartedAt: start, read: 0) == start, "nothing to check: no wait")
    }

    @Test func readingNeverGoesFasterThanTheLimit() {
        let pace = ScrubPace(period: .seconds(60), maxBytesPerSecond: 50 << 20)
        // Behind schedule (a restart a day later): the limit alone sets the pace.
        let later = start.addingTimeInterval(86400)
        #expect(pace.nextCheck(passStartedAt: start, covered: 10, total: 1000, readStartedAt: later, read: 100 << 20) == later.addingTimeInterval(2))
    }
}
