import Synchronization

/// Tells waiting workers that something changed (the catalog owes a replication target a new
/// version), so they need not poll; a wait also ends after its timeout, so a ring missed
/// (from another process, `lifeboat import`) costs at most that long.
public final class Doorbell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many times it has rung: pass it to `wait(after:timeout:)`.
    public var rings: UInt64 { state.withLock { $0.rings } }

    public func ring() {
        let waiters = state.withLock { state in
            state.rings += 1
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume(returning: true) }
    }

    /// Returns at once if it rang since `seen`, else at the next ring or after `timeout`;
    /// says whether it rang.
    @discardableResult
    public func wait(after seen: UInt64, timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id: UInt64? = state.withLock { state in
                guard state.rings == seen else { return nil }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return state.nextWaiter
            }
            guard let id else { return continuation.resume(returning: true) }
            Task {
                try? await Task.sleep(for: timeout)
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
    }
}
