/// The DIMSE services an acceptor offers, each through the hook the archive plugs in.
/// C-ECHO is always answered; a service without a provider is refused.
public struct AssociationServices: Sendable {
    public var store: any StoreProvider
    public var query: (any QueryProvider)?

    public init(store: any StoreProvider, query: (any QueryProvider)? = nil) {
        self.store = store
        self.query = query
    }
}
