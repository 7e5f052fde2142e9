import DICOM
import Logging
import NIOCore

/// Timeouts of an association.
public struct AssociationTimeouts: Sendable {
    /// ARTIM (PS3.8 9.1.5): how long to wait for the A-ASSOCIATE-RQ after connecting, and
    /// for the peer to close after a release, reject or abort.
    public var artim: TimeAmount
    /// How long an established association may stay silent.
    public var idle: TimeAmount

    public init(artim: TimeAmount = .seconds(30), idle: TimeAmount = .seconds(300)) {
        self.artim = artim
        self.idle = idle
    }
}

/// One association accepted by the server: reads PDUs, feeds the upper layer state
/// machine, and carries out what it returns — negotiation, DIMSE services, release,
/// abort. Reading pauses while a data set is written, so memory stays bounded.
struct AcceptorAssociation {
    let channel: NIOAsyncChannel<AssociationInput, PDU>
    let policy: AcceptorPolicy
    let services: AssociationServices
    let timeouts: AssociationTimeouts
    let peerAddress: String
    var admission: Admission? = nil

    /// The server's side of letting an association in: its slot, where refusals are told, and
    /// the registry an orderly stop goes through.
    struct Admission: Sendable {
        let limits: ConnectionLimits
        let ticket: ConnectionLimits.Ticket
        let logger: Logger
        let registry: AssociationRegistry
    }

    /// Serves the association until it ends; `onStarted` is called once its timers run.
    func run(onStarted: @Sendable () -> Void = {}) async {
        let artim = ChannelTimer(channel: channel.channel)
        let idle = IdleTimer(channel: channel.channel, timeout: timeouts.idle)
        defer {
            artim.stop()
            idle.stop()
        }
        try? await channel.executeThenClose { inbound, outbound in
            var session = AcceptorSession(policy: policy, services: services, peerAddress: peerAddress, outbound: outbound, artim: artim,
                                          idle: idle, timeouts: timeouts, admission: admission)
            try await session.apply(session.machine.transportAccepted())
            onStarted()
            do {
                for try await input in inbound {
                    switch input {
                    case .pdu(let pdu):
                        idle.touch()
                        try await session.apply(session.machine.received(pdu))
                    case .idleExpired:
                        try await session.idleExpired()
                    }
                    if session.machine.state == .sta1 { break }
                }
                try await session.apply(await artim.fired ? session.machine.artimExpired() : session.machine.transportClosed())
            } catch let error as PDUDecodingError {
                try await session.apply(session.machine.receivedInvalidPDU(error))
                // Sta13: the peer should now close; the ARTIM timer closes it if not.
                try? await channel.channel.closeFuture.get()
            } catch {
                // The connection failed under us (a write to a closed socket, say): nothing to say to the peer.
                try? await channel.channel.close()
            }
            await session.endOperations()
        }
    }
}
