import NIOConcurrencyHelpers
import NIOCore

/// The connections the listener has accepted and wrapped but the accept loop has not taken
/// yet. A listener closed (a stop) just as it accepts can drop such a connection from its
/// stream; once the connection becomes active nothing else holds its async writer, whose
/// deinit then traps the process (swift-nio #2637). Held here, each is either claimed by the
/// accept loop or, when the loop has ended, closed by `closeAll`; one accepted after that
/// stays held, harmless, until the process ends.
final class UnclaimedConnections: Sendable {
    private let held = NIOLockedValueBox<[ObjectIdentifier: NIOAsyncChannel<AssociationInput, PDU>]>([:])

    /// Called from the listener's child channel initializer.
    func hold(_ connection: NIOAsyncChannel<AssociationInput, PDU>) {
        held.withLockedValue { $0[ObjectIdentifier(connection.channel)] = connection }
    }

    /// The accept loop has it: from here on its `executeThenClose` finishes the writer.
    func claim(_ connection: NIOAsyncChannel<AssociationInput, PDU>) {
        _ = held.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// Closes every connection no one claimed, through its async channel.
    func closeAll() async {
        let left = held.withLockedValue { held in
            defer { held.removeAll() }
            return Array(held.values)
        }
        for connection in left { try? await connection.executeThenClose { _, _ in } }
    }
}
