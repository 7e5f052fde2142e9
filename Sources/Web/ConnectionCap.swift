import Logging
import NIOConcurrencyHelpers
import NIOCore

/// At most `limit` HTTP connections at once from one address: one more is closed as it
/// opens, so that one client (or one attacker) cannot take every descriptor the DICOM port
/// also needs. Connections from every address count in one `ConnectionCap.Counts`.
final class ConnectionCap: ChannelInboundHandler, RemovableChannelHandler {
    /// Only passes what it reads on.
    typealias InboundIn = NIOAny

    final class Counts: Sendable {
        let limit: Int
        let logger: Logger
        private let open = NIOLockedValueBox<[String: Int]>([:])

        init(limit: Int, logger: Logger) {
            self.limit = limit
            self.logger = logger
        }

        func take(_ address: String) -> Bool {
            open.withLockedValue { open in
                guard open[address, default: 0] < limit else { return false }
                open[address, default: 0] += 1
                return true
            }
        }

        func give(_ address: String) {
            open.withLockedValue { open in
                open[address, default: 1] -= 1
                if open[address] == 0 { open[address] = nil }
            }
        }
    }

    private let counts: Counts
    private var counted: String?

    init(_ counts: Counts) { self.counts = counts }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? ""
        if counts.take(address) {
            counted = address
        } else {
            counts.logger.warning("HTTP connection refused: too many at once from one address", metadata: ["from": "\(address)", "limit": "\(counts.limit)"])
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let counted { counts.give(counted) }
        counted = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }
}
