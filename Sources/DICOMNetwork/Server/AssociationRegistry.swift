import NIOConcurrencyHelpers
import NIOCore

/// The server's live connections, for an orderly stop (`DICOMServer.drain`): which are in the
/// middle of an operation, and how to abort each. Once draining, a connection is aborted
/// (A-ABORT, then closed) as soon as it has no operation under way: at once when idle, else
/// when its operation's last response has gone.
public final class AssociationRegistry: Sendable {
    private struct Entry {
        let abort: @Sendable () -> Void
        var operations = 0
    }

    private struct State {
        var entries: [ConnectionLimits.Ticket: Entry] = [:]
        var draining = false
        var aborted = 0
        var emptied: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    func register(_ ticket: ConnectionLimits.Ticket, abort: @escaping @Sendable () -> Void) {
        let lateAbort = state.withLockedValue { state -> (@Sendable () -> Void)? in
            guard !state.draining else { return abort }
            state.entries[ticket] = Entry(abort: abort)
            return nil
        }
        lateAbort?()
    }

    func ended(_ ticket: ConnectionLimits.Ticket) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.entries[ticket] = nil
            guard state.entries.isEmpty else { return [] }
            defer { state.emptied = [] }
            return state.emptied
        }
        for waiter in waiters { waiter.resume() }
    }

    /// A request has come: the connection is busy until `operationEnded`.
    func operationStarted(_ ticket: ConnectionLimits.Ticket) {
        state.withLockedValue { $0.entries[ticket]?.operations += 1 }
    }

    /// An operation's last response has gone; draining, the connection is aborted now.
    func operationEnded(_ ticket: ConnectionLimits.Ticket) {
        let abort = state.withLockedValue { state -> (@Sendable () -> Void)? in
            guard var entry = state.entries[ticket] else { return nil }
            entry.operations = max(0, entry.operations - 1)
            state.entries[ticket] = entry
            guard state.draining, entry.operations == 0 else { return nil }
            state.aborted += 1
            return entry.abort
        }
        abort?()
    }

    public var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Starts draining: idle connections are aborted now. Returns how many were.
    @discardableResult
    func startDraining() -> Int {
        let idle = state.withLockedValue { state -> [@Sendable () -> Void] in
            state.draining = true
            let idle = state.entries.values.filter { $0.operations == 0 }.map(\.abort)
            state.aborted += idle.count
            return idle
        }
        for abort in idle { abort() }
        return idle.count
    }

    /// Waits until every connection has ended, or `deadline` has passed; then aborts what is
    /// left and waits for those to end. Returns (aborted in all, of them cut off at the deadline).
    func drained(by deadline: ContinuousClock.Instant) async -> (aborted: Int, cutOff: Int) {
        let cutOff = await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await withCheckedContinuation { continuation in
                    let empty = state.withLockedValue { state in
                        if state.entries.isEmpty { return true }
                        state.emptied.append(continuation)
                        return false
                    }
                    if empty { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            // What is left at the deadline is aborted; each connection's end then wakes the waiter.
            let left = state.withLockedValue { state -> [@Sendable () -> Void] in
                state.aborted += state.entries.count
                return state.entries.values.map(\.abort)
            }
            for abort in left { abort() }
            group.cancelAll()
            return left.count
        }
        return (state.withLockedValue { $0.aborted }, cutOff)
    }
}
