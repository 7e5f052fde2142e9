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
