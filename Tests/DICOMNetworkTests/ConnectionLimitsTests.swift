import DICOMNetwork
import NIOConcurrencyHelpers
import Testing

/// Who may hold what on a DICOM port: connections not yet associated are capped per address
/// and in all, apart from the association slots, some of which only priority peers may take.
@Suite struct ConnectionLimitsTests {
    static func admit(_ limits: ConnectionLimits, from address: String, closed: NIOLockedValueBox<[String]>? = nil, name: String = "") -> ConnectionLimits.Ticket? {
        guard case .admitted(let ticket, let evicted) = limits.arrived(from: address, close: { closed?.withLockedValue { $0.append(name) } }) else { return nil }
        evicted?()
        return ticket
    }

    @Test func oneAddressHoldsAtMostItsShareOfUnassociatedConnections() {
        let limits = ConnectionLimits(.init(maximumPendingPerAddress: 3))
        let held = (0..<3).map { _ in Self.admit(limits, from: "10.0.0.1") }
        #expect(held.allSatisfy { $0 != nil })
        #expect(Self.admit(limits, from: "10.0.0.1") == nil)
        #expect(Self.admit(limits, from: "10.0.0.2") != nil, "another address is not held up")
        // One that asks for an association no longer counts against its address.
        #expect(limits.associating(held[0]!, priority: false))
        #expect(Self.admit(limits, from: "10.0.0.1") != nil)
        #expect(limits.counts == (pending: 4, associated: 1))
    }

    @Test func theOldestUnassociatedConnectionMakesRoomForANewOne() {
        let closed = NIOLockedValueBox<[String]>([])
        let limits = ConnectionLimits(.init(maximumPending: 3))
        for index in 0..<3 { _ = Self.admit(limits, from: "10.0.0.\(index)", closed: closed, name: "\(index)") }
        #expect(closed.withLockedValue { $0 }.isEmpty)
        _ = Self.admit(limits, from: "10.0.0.9", closed: closed, name: "9")
        #expect(closed.withLockedValue { $0 } == ["0"])
        #expect(limits.counts.pending == 3)
    }

    @Test func slotsKeptForPriorityPeersAreTheirsAlone() throws {
        let limits = ConnectionLimits(.init(maximumAssociations: 4, reservedForPriority: 1))
        let tickets = (0..<6).map { _ in Self.admit(limits, from: "10.0.0.1") }.compactMap { $0 }
        #expect(limits.associating(tickets[0], priority: false))
        #expect(limits.associating(tickets[1], priority: false))
        #expect(limits.associating(tickets[2], priority: false))
        #expect(!limits.associating(tickets[3], priority: false), "the fourth slot is kept")
        #expect(limits.associating(tickets[4], priority: true))
        #expect(!limits.associating(tickets[5], priority: true), "every slot taken")
        limits.ended(tickets[0])
        #expect(limits.counts == (pending: 0, associated: 3))
    }

    @Test(arguments: [(1, 0), (4, 1), (16, 2), (64, 8), (1000, 8)])
    func anEighthOfTheSlotsOneToEightIsKeptByDefault(maximum: Int, reserved: Int) {
        #expect(ConnectionLimits.Settings(maximumAssociations: maximum).reservedForPriority == reserved)
    }
}
