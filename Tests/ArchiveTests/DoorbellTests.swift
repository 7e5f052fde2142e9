@testable import Archive
import Testing

/// The doorbell replication workers wait on.
@Suite struct DoorbellTests {
    @Test func aWaitEndsAtARingOrItsTimeoutAndARingBeforeItIsNotMissed() async {
        let bell = Doorbell()
        let seen = bell.rings
        #expect(await bell.wait(after: seen, timeout: .milliseconds(20)) == false, "nothing rang: timed out")
        bell.ring()
        #expect(await bell.wait(after: seen, timeout: .seconds(60)) == true, "rang since `seen`: returns at once")
        let now = bell.rings
        async let woke = bell.wait(after: now, timeout: .seconds(60))
        try? await Task.sleep(for: .milliseconds(20))
        bell.ring()
        #expect(await woke == true)
    }
}
