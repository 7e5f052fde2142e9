import NIOConcurrencyHelpers

/// Who may hold what on a DICOM port. A connection that has not yet asked for an
/// association holds no association slot — sockets that send nothing cannot lock out a
/// modality —: such connections are capped apart, per address (a new one over the cap is
/// closed) and in all (the oldest is closed to make room). Associations are capped at
/// `maximumAssociations`, of which `reservedForPriority` only the priority peers (the AEs the
/// archive is told about: dicom-peers, dicom-nodes) may take.
public final class ConnectionLimits: Sendable {
    public struct Settings: Sendable, Equatable {
        public var maximumAssociations: Int
        public var reservedForPriority: Int
        public var maximumPending: Int
        public var maximumPendingPerAddress: Int

        public init(maximumAssociations: Int = 64, reservedForPriority: Int? = nil, maximumPending: Int = 128, maximumPendingPerAddress: Int = 16) {
            self.maximumAssociations = max(1, maximumAssociations)
            // An eighth of the slots, 1 to 8, kept for the priority peers — none when there is only one.
            self.reservedForPriority = min(reservedForPriority ?? min(8, max(1, maximumAssociations / 8)), self.maximumAssociations - 1)
            self.maximumPending = max(1, maximumPending)
            self.maximumPendingPerAddress = max(1, maximumPendingPerAddress)
        }
    }

    /// A connection's place: pending until it asks for an association, then associated.
    public struct Ticket: Sendable, Hashable {
        let id: UInt64
    }

    public enum Arrival: Sendable {
        /// Let in; `evicted` is the oldest pending connection, to be closed to make room.
        case admitted(Ticket, evicted: (@Sendable () -> Void)?)
        /// Over the per-address cap: close it.
        case refused
    }

    private struct Pending {
        let address: String
        let close: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        var pending: [UInt64: Pending] = [:]
        var associated: [UInt64: Bool] = [:] // by ticket: whether a priority peer's
    }

    public let settings: Settings
    private let state = NIOLockedValueBox(State())

    public init(_ settings: Settings) { self.settings = settings }

    /// A connection from `address` arrived; `close` closes it.
    public func arrived(from address: String, close: @escaping @Sendable () -> Void) -> Arrival {
        state.withLockedValue { state in
            let fromThere = state.pending.values.reduce(0) { $0 + ($1.address == address ? 1 : 0) }
            guard fromThere < settings.maximumPendingPerAddress else { return .refused }
            var evicted: (@Sendable () -> Void)?
            if state.pending.count >= settings.maximumPending, let oldest = state.pending.keys.min() {
                evicted = state.pending.removeValue(forKey: oldest)?.close
            }
            state.nextID += 1
            state.pending[state.nextID] = Pending(address: address, close: close)
            return .admitted(Ticket(id: state.nextID), evicted: evicted)
        }
    }

    /// The connection asks for an association: whether there is room for it.
    public func associating(_ ticket: Ticket, priority: Bool) -> Bool {
        state.withLockedValue { state in
            state.pending[ticket.id] = nil
            let limit = priority ? settings.maximumAssociations : settings.maximumAssociations - settings.reservedForPriority
            guard state.associated.count < limit else { return false }
            state.associated[ticket.id] = priority
            return true
        }
    }

    /// The connection is gone.
    public func ended(_ ticket: Ticket) {
        state.withLockedValue { state in
            state.pending[ticket.id] = nil
            state.associated[ticket.id] = nil
        }
    }

    /// Connections not yet associated, and associations, now.
    public var counts: (pending: Int, associated: Int) { state.withLockedValue { ($0.pending.count, $0.associated.count) } }
}
