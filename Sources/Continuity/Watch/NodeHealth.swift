import Archive

/// What the watch makes of a node's probes: a value-type state machine, fed one probe at a
/// time, that says when the node's state changes. Down only after `downAfter` failed probes
/// in a row (a dropped packet is not an outage); back up after `upAfter` good ones.
public struct NodeHealth: Sendable, Equatable {
    /// One probe's result: whether C-ECHO and the small C-FIND were answered.
    public struct Probe: Sendable, Equatable {
        public var echoed: Bool
        public var found: Bool
        public var detail: String

        public init(echoed: Bool, found: Bool, detail: String) {
            self.echoed = echoed
            self.found = found
            self.detail = detail
        }
    }

    public var downAfter: Int
    public var upAfter: Int
    /// nil until the probes have said something definite.
    public private(set) var state: NodeState?
    private var failures = 0
    private var successes = 0

    public init(state: NodeState? = nil, downAfter: Int = 3, upAfter: Int = 1) {
        self.state = state
        self.downAfter = max(1, downAfter)
        self.upAfter = max(1, upAfter)
    }

    /// Takes a probe; returns the new state when it changed.
    public mutating func record(_ probe: Probe) -> NodeState? {
        let next: NodeState?
        if probe.echoed {
            failures = 0
            if probe.found {
                successes += 1
                next = state == .down && successes < upAfter ? nil : .up
            } else {
                successes = 0
                next = .degraded
            }
        } else {
            successes = 0
            failures += 1
            next = failures >= downAfter ? .down : nil
        }
        guard let next, next != state else { return nil }
        state = next
        return next
    }
}
