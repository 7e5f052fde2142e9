import Hummingbird
import NIOCore

/// The request context of Lifeboat's HTTP routes: Hummingbird's, plus the peer's address
/// for the record of where an instance came from.
public struct WebContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Who the request comes from, once a `Requirement` has checked.
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
