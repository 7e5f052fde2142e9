/// The DIMSE services an acceptor offers, each through the hook the archive plugs in.
/// C-ECHO is always answered; a service without a provider is refused.
public struct AssociationServices: Sendable {
    public var store: any StoreProvider
    public var query: (any QueryProvider)?
    public var retrieve: (any RetrieveProvider)?
    /// Storage Commitment Push Model as SCP (PS3.4 J.3).
    public var commitment: (any CommitmentProvider)?
    /// Storage Commitment Push Model as SCU: reports an SCP sends on an association it opens.
    public var commitmentReports: (any CommitmentReportReceiver)?

    public init(store: any StoreProvider, query: (any QueryProvider)? = nil, retrieve: (any RetrieveProvider)? = nil,
                commitment: (any CommitmentProvider)? = nil, commitmentReports: (any CommitmentReportReceiver)? = nil) {
        self.store = store
        self.query = query
        self.retrieve = retrieve
        self.commitment = commitment
        self.commitmentReports = commitmentReports
    }

    /// The SOP classes of the query and retrieve services offered.
    var abstractSyntaxes: Set<String> {
        (query?.findSOPClasses ?? []).union(retrieve?.moveSOPClasses ?? []).union(retrieve?.getSOPClasses ?? [])
            .union(commitment == nil && commitmentReports == nil ? [] : [StorageCommitment.sopClassUID])
    }
}
