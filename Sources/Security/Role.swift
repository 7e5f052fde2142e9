/// What a signed-in user or a DICOM peer may do. Each HTTP route and DIMSE service names
/// the one it needs.
public enum Permission: String, Sendable, CaseIterable, Codable {
    /// Send images in: C-STORE, STOW-RS.
    case store
    /// Search: C-FIND, QIDO-RS.
    case query
    /// See or take images out: C-MOVE, C-GET, WADO, the viewer.
    case retrieve
    /// Read the audit trail.
    case audit
    /// Read the archive's state: replication status.
    case status
    /// Manage users, tokens and settings.
    case administer
    /// Push copies here as another Lifeboat site.
    case replicate
}

/// The roles a user holds (one each). A role is a fixed set of permissions: a site
/// chooses who is what, not what each role means, so an audit reads the same everywhere.
public enum Role: String, Sendable, CaseIterable, Codable {
    case administrator, radiologist, technologist, auditor, service

    public var permissions: Set<Permission> {
        switch self {
        case .administrator: [.store, .query, .retrieve, .audit, .status, .administer]
        // Reads studies; sends nothing in.
        case .radiologist: [.query, .retrieve]
        // Sends images from the modality side and checks they arrived.
        case .technologist: [.store, .query, .retrieve]
        // Who looked at what: the trail and the archive's state, no images.
        case .auditor: [.audit, .status]
        // Another system: a viewer's back end, a peer site, a script.
        case .service: [.store, .query, .retrieve, .replicate]
        }
    }

    public func allows(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// Also takes "reader" for a radiologist.
    public init?(name: String) {
        let lowered = name.lowercased()
        if lowered == "reader" { self = .radiologist } else if let role = Role(rawValue: lowered) { self = role } else { return nil }
    }
}
