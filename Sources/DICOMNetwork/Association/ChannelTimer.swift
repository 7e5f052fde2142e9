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

/// Ends an association whose peer has been silent for `timeout`: this service user aborts it
/// (A-ABORT, PS3.8 7.3) and closes. Every byte that arrives stamps a time, as it arrives — a
/// server too busy to read its PDUs at once does not count its own delay against the peer —;
/// no timer is rescheduled per read: a check every quarter of the timeout does the rest. Time
/// is the event loop's clock, so a test loop can advance it.
final class IdleTimer: Sendable {
    private let channel: Channel
    private let lastActivity: NIOLockedValueBox<NIODeadline>
    private let fired = NIOLockedValueBox(false)
    private let task: NIOLockedValueBox<RepeatedTask?> = NIOLockedValueBox(nil)

    init(channel: Channel, timeout: TimeAmount) {
        self.channel = channel
        lastActivity = NIOLockedValueBox(channel.eventLoop.now)
        let check = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 1_000_000))
        let repeated = channel.eventLoop.scheduleRepeatedTask(initialDelay: check, delay: check) { [lastActivity, fired, channel] task in
            if channel.eventLoop.now - lastActivity.withLockedValue({ $0 }) > timeout {
                fired.withLockedValue { $0 = true }
                task.cancel()
                channel.writeAndFlush(PDU.abort(.byServiceUser)).whenComplete { _ in channel.close(promise: nil) }
            }
        }
        task.withLockedValue { $0 = repeated }
        let arrivals = ArrivalStamp { [lastActivity, channel] in lastActivity.withLockedValue { $0 = channel.eventLoop.now } }
        channel.pipeline.addHandler(arrivals, position: .first).whenFailure { _ in } // a channel already closed needs none
    }

    func touch() { lastActivity.withLockedValue { $0 = channel.eventLoop.now } }

    var didFire: Bool { fired.withLockedValue { $0 } }

    func stop() { task.withLockedValue { $0?.cancel() } }
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
