/// How long to wait after a transient failure: from `initial`, doubling with each failure in
/// a row up to `ceiling`; a success starts it over. Never gives up.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var ceiling: Duration
    public private(set) var current: Duration?

    public init(initial: Duration = .milliseconds(500), ceiling: Duration = .seconds(60)) {
        self.initial = initial
        self.ceiling = ceiling
    }

    /// The wait after one more failure.
    public mutating func failed() -> Duration {
        let next = current.map { Swift.min($0 * 2, ceiling) } ?? initial
        current = next
        return next
    }

    public mutating func succeeded() { current = nil }
}
