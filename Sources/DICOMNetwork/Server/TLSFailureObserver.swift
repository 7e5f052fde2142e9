import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the TLS handler and reports a failed handshake — a certificate the server
/// does not trust, a protocol version below TLS 1.2, plain TCP on the TLS port — once per
/// connection, then lets the error go on to close the connection.
final class TLSFailureObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let address: String
    let refused: (@Sendable (String, String) -> Void)?
    private var handshakeDone = false
    private var reported = false

    init(address: String, refused: (@Sendable (String, String) -> Void)?) {
        self.address = address
        self.refused = refused
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { handshakeDone = true }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !handshakeDone, !reported, error is NIOSSLError || error is BoringSSLError {
            reported = true
            refused?(address, "TLS handshake failed: \(error)")
        }
        context.fireErrorCaught(error)
    }
}
