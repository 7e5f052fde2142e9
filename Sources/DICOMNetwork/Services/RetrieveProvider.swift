import DICOM

/// A DICOM node Lifeboat may send to: a C-MOVE destination, a forwarding target.
public struct DICOMNode: Sendable, Equatable {
    public var aeTitle: AETitle
    public var host: String
    public var port: Int

    public init(aeTitle: AETitle, host: String, port: Int) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
    }

    /// "AE@host:port", as the configuration writes a node.
    public init?(_ text: String) {
        guard let at = text.lastIndex(of: "@"), let colon = text.lastIndex(of: ":"), at < colon,
              let aeTitle = AETitle(validating: String(text[..<at])), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        let host = String(text[text.index(after: at)..<colon])
        guard !host.isEmpty else { return nil }
        self.init(aeTitle: aeTitle, host: host, port: port)
    }

    public var description: String { "\(aeTitle.value)@\(host):\(port)" }
}

/// An instance to send as a sub-operation: a Part 10 file and what its meta group says.
public struct RetrievableInstance: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var path: String
    /// What the provider knows the file by, for `check` (the archive: its SHA-256).
    public var contentID: String
    /// Why it cannot be sent, known before sending: its sub-operation fails with this.
    public var problem: String?

    public init(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, path: String, contentID: String = "", problem: String? = nil) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.path = path
        self.contentID = contentID
        self.problem = problem
    }
}

/// The hook a C-MOVE and C-GET SCP retrieves through (PS3.4 C.4.2, C.4.3): it says which
/// instances an identifier names and where a move destination is; the association sends them.
public protocol RetrieveProvider: Sendable {
    var moveSOPClasses: Set<String> { get }
    var getSOPClasses: Set<String> { get }

    /// The instances the identifier selects, or a `ServiceError` with the status to answer
    /// (A900 for an identifier the model cannot answer, C000 when it cannot be worked out).
    func instances(for request: QueryRetrieveRequest) async throws -> [RetrievableInstance]

    /// Whether the instance's file is intact, checked just before it is sent: nil when it
    /// may go, else why not (the sub-operation then fails with that reason).
    func check(_ instance: RetrievableInstance) async -> String?

    /// The node a C-MOVE from this request may send to by that AE title; nil makes it fail
    /// with A801 (unknown, or not allowed for this caller).
    func destination(_ aeTitle: AETitle, for request: QueryRetrieveRequest) -> DICOMNode?

    /// Told how a retrieve ended, for the record.
    func finished(_ request: QueryRetrieveRequest, ending: RetrieveEnding)
}

/// How a C-MOVE or C-GET ended: where it went, its counts and final status, why each failed
/// sub-operation failed and which copies went transcoded, by SOP Instance UID.
public struct RetrieveEnding: Sendable, Equatable {
    public var destination: AETitle?
    public var counts: SubOperationCounts
    public var status: DIMSEStatus
    public var failures: [String: String]
    /// How each copy that went other than as stored differs (decoded for a peer that takes
    /// only uncompressed syntaxes: `UncompressedCopy.summary`).
    public var transcoded: [String: String]
    /// Why the retrieve as a whole failed, when it did before any sub-operation.
    public var problem: String?
    /// The instances the provider named, so that it can let go of what it made for them.
    public var instances: [RetrievableInstance] = []

    public init(destination: AETitle?, counts: SubOperationCounts, status: DIMSEStatus, failures: [String: String] = [:], transcoded: [String: String] = [:],
                problem: String? = nil) {
        self.problem = problem
        self.destination = destination
        self.counts = counts
        self.status = status
        self.failures = failures
        self.transcoded = transcoded
    }

    /// The transcoded copies counted by how they were made: "2 decoded from JPEG 2000 ... to ...".
    public var transcodedSummary: String? {
        guard !transcoded.isEmpty else { return nil }
        return Dictionary(grouping: transcoded.values) { $0 }.sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }.joined(separator: "; ")
    }
}

/// The sub-operation counts of a C-MOVE or C-GET response (PS3.7 9.1.3.1, 9.1.4.1).
public struct SubOperationCounts: Sendable, Equatable {
    public var remaining = 0
    public var completed = 0
    public var failed = 0
    public var warning = 0

    public init(remaining: Int = 0, completed: Int = 0, failed: Int = 0, warning: Int = 0) {
        self.remaining = remaining
        self.completed = completed
        self.failed = failed
        self.warning = warning
    }
}
