import Foundation

/// How fast a scheduled scrub goes: fast enough that a pass covers everything within
/// `period`, never faster than `maxBytesPerSecond` of reading, so that ingest keeps the disk.
public struct ScrubPace: Sendable, Equatable {
    public var period: Duration
    public var maxBytesPerSecond: Int

    public init(period: Duration, maxBytesPerSecond: Int) {
        self.period = period
        self.maxBytesPerSecond = maxBytesPerSecond
    }

    /// When the next item may be checked: not before the schedule says this share of the
    /// pass is due (`covered` of `total` bytes, from `passStartedAt`), nor before the bytes
    /// just `read` (from `readStartedAt`) would have taken at the rate limit.
    public func nextCheck(passStartedAt: Date, covered: Int, total: Int, readStartedAt: Date, read: Int) -> Date {
        let seconds = period.inSeconds
        let scheduled = passStartedAt.addingTimeInterval(total > 0 ? seconds * min(1, Double(covered) / Double(total)) : 0)
        let limited = readStartedAt.addingTimeInterval(maxBytesPerSecond > 0 ? Double(read) / Double(maxBytesPerSecond) : 0)
        return max(scheduled, limited)
    }
}
