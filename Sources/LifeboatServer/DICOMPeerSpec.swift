import DICOMNetwork
import Security
import Yams

/// The `dicom-peers` key: the AE allow-list, one entry a calling AE.
///
///     dicom-peers:
///       - ae: PACS
///         address: 10.0.0.5            # optional: it must call from here
///         rights: [store, query, retrieve]
///         move-destinations: [PACS]    # optional: where its C-MOVEs may go (default: any dicom-node)
///         port: 104                    # optional: where it takes Storage Commitment reports
enum DICOMPeerSpec {
    static let help = """
        The AE allow-list: which calling AEs may query and retrieve, and from which address.
        Without an entry an AE may still echo and store (unless dicom-strict); query and
        retrieve need an entry with those rights. Each entry: ae, address (optional, an IP),
        rights (a list of store, query, retrieve; default [store]), move-destinations
        (optional: AE titles from dicom-nodes its C-MOVE may send to; default: any), port
        (optional: where it listens for a Storage Commitment report sent after it released
        the request's association — at its address, else where it called from; an AE in
        dicom-nodes is reached at its node's address).
        Example: [{ae: PACS, address: 10.0.0.5, rights: [store, query, retrieve], move-destinations: [PACS]}]
        """

    static func list(_ node: Node) throws -> [DICOMAccess.Peer] {
        guard let sequence = node.sequence else { throw ConfigurationError("expected a list of peers, each with an ae") }
        var peers: [DICOMAccess.Peer] = []
        for item in sequence {
            let peer = try parse(item)
            guard peers.allSatisfy({ $0.aeTitle != peer.aeTitle }) else { throw ConfigurationError("\(peer.aeTitle) is listed twice in dicom-peers") }
            peers.append(peer)
        }
        return peers
    }

    static func parse(_ node: Node) throws -> DICOMAccess.Peer {
        let line = node.mark?.line ?? 0
        guard let mapping = node.mapping else { throw ConfigurationError("a peer (line \(line)) is not a set of keys and values") }
        var peer = DICOMAccess.Peer(aeTitle: "")
        for (key, value) in mapping {
            func list() throws -> [String] {
                guard let items = value.sequence?.map({ $0.scalar?.string ?? "" }) else { throw ConfigurationError("\(key.string ?? ""): expected a list (line \(line))") }
                return items
            }
            switch key.string {
            case "ae":
                guard let text = value.scalar?.string, let title = AETitle(validating: text) else {
                    throw ConfigurationError("a peer's ae (line \(line)) is not an AE title: 1 to 16 characters")
                }
                peer.aeTitle = title.value
            case "address":
                guard let text = value.scalar?.string, !text.isEmpty else { throw ConfigurationError("a peer's address (line \(line)) is empty") }
                peer.address = text
            case "rights":
                peer.rights = Set(try list().map { name in
                    guard let right = DICOMAccess.Right(rawValue: name) else {
                        throw ConfigurationError("\"\(name)\" (line \(line)) is not a right: store, query or retrieve")
                    }
                    return right
                })
            case "move-destinations":
                peer.moveDestinations = try list()
            case "port":
                guard let port = value.scalar.flatMap({ Int($0.string) }), (1...65535).contains(port) else {
                    throw ConfigurationError("a peer's port (line \(line)) is not a port number from 1 to 65535")
                }
                peer.port = port
            default:
                throw ConfigurationError("unknown peer key \"\(key.string ?? "?")\" (line \(line)); the keys are ae, address, rights, move-destinations, port")
            }
        }
        guard !peer.aeTitle.isEmpty else { throw ConfigurationError("a peer (line \(line)) needs an ae") }
        return peer
    }

    static func summary(_ peer: DICOMAccess.Peer) -> String {
        var parts = ["ae: \(peer.aeTitle)"]
        if let address = peer.address { parts.append("address: \(address)") }
        parts.append("rights: [\(peer.rights.map(\.rawValue).sorted().joined(separator: ", "))]")
        if let destinations = peer.moveDestinations { parts.append("move-destinations: [\(destinations.joined(separator: ", "))]") }
        if let port = peer.port { parts.append("port: \(port)") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
