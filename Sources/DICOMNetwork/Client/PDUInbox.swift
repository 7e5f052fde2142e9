import NIOConcurrencyHelpers
import NIOCore

/// The PDUs of a requested association, read off the connection by a task of its own, so
/// that waiting for the next one can be given up at a deadline and the association kept:
/// a Storage Commitment report may come on it or on another (PS3.4 J.3.3). At most
/// `capacity` PDUs wait here; then the reading task waits too and the connection's
/// back-pressure holds the peer.
final class PDUInbox: Sendable {
    enum Item: Sendable {
        case pdu(PDU)
        case failed(any Error)
        case closed
    }

    private struct State {
        var items: [Item] = []
        var taker: (id: UInt64, continuation: CheckedContinuation<Item?, Never>)?
        var putter: CheckedContinuation<Void, Never>?
        var nextID: UInt64 = 0
        /// Set once the association is done with: whatever still arrives is dropped.
        var discarding = false
        /// How the connection ended (`.closed` or `.failed`): every take after the last PDU gets it.
        var ended: Item?
    }

    private let state = NIOLockedValueBox(State())
    let capacity: Int

    init(capacity: Int = 64) { self.capacity = capacity }

    /// Reads `inbound` into the inbox until it ends or fails.
    func fill(from inbound: NIOAsyncChannelInboundStream<PDU>) async {
        do {
            for try await pdu in inbound { await put(.pdu(pdu)) }
            await put(.closed)
        } catch {
            await put(.failed(error))
        }
    }

    /// Nothing more will be taken: the reading task no longer waits for room.
    func discard() {
        let putter = state.withLockedValue { state in
            state.discarding = true
            state.items = []
            defer { state.putter = nil }
            return state.putter
        }
        putter?.resume()
    }

    private func put(_ item: Item) async {
        await withCheckedContinuation { (space: CheckedContinuation<Void, Never>) in
            let (taker, waits) = state.withLockedValue { state -> (CheckedContinuation<Item?, Never>?, Bool) in
                if state.discarding { return (nil, false) }
                let terminal = if case .pdu = item { false } else { true }
                if terminal { state.ended = item }
                if let taker = state.taker {
                    state.taker = nil
                    return (taker.continuation, false)
                }
                guard !terminal else { return (nil, false) }
                state.items.append(item)
                guard state.items.count >= capacity else { return (nil, false) }
                state.putter = space
                return (nil, true)
            }
            taker?.resume(returning: item)
            if !waits { space.resume() }
        }
    }

    /// The next item; nil once `deadline` has passed without one (nothing is lost: a later
    /// call gets it). A cancelled task gets `.failed(CancellationError())`.
    func next(before deadline: ContinuousClock.Instant? = nil) async -> Item? {
        let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let id = state.withLockedValue { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        let item = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
                let (item, putter) = state.withLockedValue { state -> (Item?, CheckedContinuation<Void, Never>?) in
                    guard !state.items.isEmpty else {
                        if let ended = state.ended { return (ended, nil) }
                        state.taker = (id, continuation)
                        return (nil, nil)
                    }
                    defer { state.putter = nil }
                    return (state.items.removeFirst(), state.putter)
                }
                putter?.resume()
                if let item {
                    continuation.resume(returning: item)
                } else if Task.isCancelled {
                    // Cancelled before it waited: the handler found no taker to wake.
                    release(id, with: .failed(CancellationError()))
                } else if let deadline {
                    timer.withLockedValue { $0 = Task { [self] in
                        try? await Task.sleep(until: deadline, clock: .continuous)
                        release(id, with: nil)
                    } }
                }
            }
        } onCancel: {
            release(id, with: .failed(CancellationError()))
        }
        timer.withLockedValue { $0?.cancel() }
        return item
    }

    /// Wakes the taker `id`, if it still waits, with `item`.
    private func release(_ id: UInt64, with item: Item?) {
        let taker = state.withLockedValue { state -> CheckedContinuation<Item?, Never>? in
            guard let taker = state.taker, taker.id == id else { return nil }
            state.taker = nil
            return taker.continuation
        }
        taker?.resume(returning: item)
    }
}
