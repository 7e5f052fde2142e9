import DICOMNetwork

/// The AE allow-list: which calling AE titles may do what over DICOM, and from where.
///
/// Out of the box any AE may echo and store — an image is never refused for want of
/// configuration — but only listed AEs may query or retrieve, and a C-MOVE goes only to a
/// destination the peer's entry allows. With `strict`, an AE not listed cannot associate
/// at all unless it proves a user (user identity negotiation). A listed AE calling from
/// another address than its entry's is refused outright: it is someone else using its name.
public struct DICOMAccess: Sendable, Equatable {
    public enum Right: String, Sendable, CaseIterable, Codable {
        case store, query, retrieve
    }

    public struct Peer: Sendable, Equatable {
        public var aeTitle: String
        /// The IP address it must call from; nil: any.
        public var address: String?
        public var rights: Set<Right>
        /// The AE titles it may C-MOVE to (each also a configured DICOM node); nil: any configured node.
        public var moveDestinations: [String]?
        /// The port it listens on, where a Storage Commitment report it asked for goes when it
        /// has released the request's association (at `address`, else where it called from).
        public var port: Int?

        public init(aeTitle: String, address: String? = nil, rights: Set<Right> = [.store], moveDestinations: [String]? = nil, port: Int? = nil) {
            self.aeTitle = aeTitle
            self.address = address
            self.rights = rights
            self.moveDestinations = moveDestinations
            self.port = port
        }
    }

    /// A node this one asks for Storage Commitment (a dicom-node): it may open an association
    /// to report, from one of `addresses`, even when dicom-strict keeps unlisted AEs out.
    public struct Reporter: Sendable, Equatable {
        public var aeTitle: String
        public var addresses: Set<String>

        public init(aeTitle: String, addresses: Set<String>) {
            self.aeTitle = aeTitle
            self.addresses = addresses
        }
    }

    public var peers: [Peer]
    public var strict: Bool
    public var reporters: [Reporter]

    public init(peers: [Peer] = [], strict: Bool = false, reporters: [Reporter] = []) {
        self.peers = peers
        self.strict = strict
        self.reporters = reporters
    }

    public func peer(_ aeTitle: String) -> Peer? { peers.first { $0.aeTitle == aeTitle } }

    /// What this peer is refused, for the record; nil: admitted to all it proposed.
    public enum Refusal: Sendable, Equatable {
        case association(String)
        case services(Set<Right>, String)
    }

    /// Decides an association: the abstract syntaxes it may use, sorted into query and
    /// retrieve classes by the caller (everything else is echo or store).
    /// `userRights`: what a user identity the peer proved adds to the AE's own.
    public func admit(_ peer: AcceptorPolicy.Peer, offered: Set<String>, queryClasses: Set<String>,
                      retrieveClasses: Set<String>, userRights: Set<Right> = []) -> (AcceptorPolicy.Admission, Refusal?) {
        let calling = peer.callingAETitle.value
        let entry = self.peer(calling)
        if let entry, let address = entry.address, address != peer.address {
            return (.reject, .association("\(calling) is listed to call from \(address), not \(peer.address)"))
        }
        let rights: Set<Right> = (entry?.rights ?? (strict ? [] : [.store])).union(userRights)
        if strict && entry == nil && userRights.isEmpty {
            // PS3.4 J.3.3.1.3: a node asked for Storage Commitment may report on an association it opens.
            if reporters.contains(where: { $0.aeTitle == calling && $0.addresses.contains(peer.address) }) {
                return (.accept(allowed: offered.intersection([StorageCommitment.sopClassUID, SOPClass.verification])), nil)
            }
            return (.reject, .association("\(calling) is not a listed DICOM peer and dicom-strict is set"))
        }
        var allowed = offered
        var refused: Set<Right> = []
        let proposed = Set(peer.abstractSyntaxes)
        if !rights.contains(.query) {
            allowed.subtract(queryClasses)
            if !proposed.isDisjoint(with: queryClasses) { refused.insert(.query) }
        }
        if !rights.contains(.retrieve) {
            allowed.subtract(retrieveClasses)
            if !proposed.isDisjoint(with: retrieveClasses) { refused.insert(.retrieve) }
        }
        // A peer that may retrieve keeps the storage contexts: C-GET's sub-operations are
        // C-STOREs to it on them (PS3.4 C.4.3.3); a C-STORE *from* it is refused by the store
        // service itself (`mayStore`).
        if !rights.contains(.store) && !rights.contains(.retrieve) {
            let store = offered.subtracting(queryClasses).subtracting(retrieveClasses).subtracting([SOPClass.verification])
            allowed.subtract(store)
            if !proposed.isDisjoint(with: store) { refused.insert(.store) }
        }
        let why = entry == nil ? "\(calling) is not a listed DICOM peer" : "\(calling)'s entry does not allow it"
        return (.accept(allowed: allowed, identityConfirmed: !userRights.isEmpty), refused.isEmpty ? nil : .services(refused, why))
    }

    /// Whether a C-STORE from the calling AE may be taken: a listed AE's entry must give the
    /// store right (one that may only retrieve has storage contexts for C-GET alone); an
    /// unlisted AE was already let in or turned away at the association.
    public func mayStore(_ calling: String) -> Bool { peer(calling)?.rights.contains(.store) ?? true }

    /// Whether the calling AE may send to this C-MOVE destination.
    public func mayMove(_ calling: String, to destination: String) -> Bool {
        guard let entry = peer(calling), entry.rights.contains(.retrieve) else { return false }
        return entry.moveDestinations?.contains(destination) ?? true
    }
}
