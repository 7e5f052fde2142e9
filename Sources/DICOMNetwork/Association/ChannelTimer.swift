import NIOConcurrencyHelpers
import NIOCore

/// A timer that closes a channel when it expires: the ARTIM timer (PS3.8 9.1.5) and the
/// idle timeout. Closing ends the association's inbound stream, which is how its loop
/// learns of the expiry; `fired` tells that apart from the peer closing.
final class ChannelTimer: @unchecked Sendable {
    // @unchecked: every property is only touched on `channel.eventLoop`.
    private let channel: Channel
    private var scheduled: Scheduled<Void>?
    private var didFire = false

    init(channel: Channel) { self.channel = channel }

    func start(after timeout: TimeAmount) {
        channel.eventLoop.execute {
            self.scheduled?.cancel()
            self.scheduled = self.channel.eventLoop.scheduleTask(in: timeout) {
                self.didFire = true
                self.channel.close(promise: nil)
            }
        }
    }

    func stop() {
        channel.eventLoop.execute {
            self.scheduled?.cancel()
            self.scheduled = nil
        }
    }

    var fired: Bool {
        get async { (try? await channel.eventLoop.submit { self.didFire }.get()) ?? false }
    }
}

/// Tells the association when its peer has been silent for `timeout`, as an input in order
/// with its PDUs (`AssociationInput.idleExpired`): the association decides what that means
/// through its state machines (an A-ABORT, PS3.8 Evt15), the timer writes nothing. Every byte
/// that arrives stamps a time, as it arrives — a server too busy to read its PDUs at once does
/// not count its own delay against the peer —; no timer is rescheduled per read: a check every
/// quarter of the timeout does the rest. Time is the event loop's clock, so a test loop can
/// advance it.
final class IdleTimer: Sendable {
    private let channel: Channel
    private let lastActivity: NIOLockedValueBox<NIODeadline>
    private let task: NIOLockedValueBox<RepeatedTask?> = NIOLockedValueBox(nil)

    init(channel: Channel, timeout: TimeAmount) {
        self.channel = channel
        lastActivity = NIOLockedValueBox(channel.eventLoop.now)
        let check = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 1_000_000))
        let repeated = channel.eventLoop.scheduleRepeatedTask(initialDelay: check, delay: check) { [lastActivity, channel] task in
            if channel.eventLoop.now - lastActivity.withLockedValue({ $0 }) > timeout {
                task.cancel()
                // The async channel hands on what it has read at the end of a read: this is one.
                guard let signal = try? channel.pipeline.syncOperations.context(handlerType: IdleSignal.self) else { return }
                signal.fireChannelRead(NIOAny(AssociationInput.idleExpired))
                signal.fireChannelReadComplete()
            }
        }
        task.withLockedValue { $0 = repeated }
        let arrivals = ArrivalStamp { [lastActivity, channel] in lastActivity.withLockedValue { $0 = channel.eventLoop.now } }
        channel.pipeline.addHandler(arrivals, position: .first).whenFailure { _ in } // a channel already closed needs none
    }

    func touch() { lastActivity.withLockedValue { $0 = channel.eventLoop.now } }

    func stop() { task.withLockedValue { $0?.cancel() } }
}

/// What an accepted association reads: the PDUs, and the idle limit's end among them.
enum AssociationInput: Sendable {
    case pdu(PDU)
    case idleExpired
}

/// The last handler before the association: wraps each PDU; `IdleTimer` fires its
/// `.idleExpired` from here, so it passes no decoder.
final class IdleSignal: ChannelInboundHandler, Sendable {
    typealias InboundIn = PDU
    typealias InboundOut = AssociationInput

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.pdu(unwrapInboundIn(data))))
    }
}

/// Tells `IdleTimer` of each read off the socket, before any decoding.
private final class ArrivalStamp: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let stamp: @Sendable () -> Void

    init(_ stamp: @escaping @Sendable () -> Void) { self.stamp = stamp }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stamp()
        context.fireChannelRead(data)
    }
}
