/// Why an instance was not stored, in the archive's own terms: each adapter says it in its
/// protocol's — a C-STORE status (PS3.4 B.2.3), a STOW-RS Failure Reason (PS3.18 10.5.3),
/// an HTTP problem, a CLI line. `message` is what the sender is told: what happened and what
/// to do, never a path (the server log has the rest).
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// Not a whole data set, or not one the catalog can record (no UIDs): nothing that is
        /// not whole is acknowledged. C-STORE C000.
        case cannotUnderstand
        /// The data set is of another SOP class than it was sent as. C-STORE A900.
        case sopClassMismatch
        /// The data set's SOP Instance UID is not the one it was sent as. C-STORE C000.
        case sopInstanceMismatch
        /// The data set is of another study than the request names (a STOW-RS to
        /// /studies/{study}, PS3.18 10.5.3.1: Failure Reason C122).
        case studyMismatch
        /// The archive's disk is full. C-STORE A700.
        case outOfSpace
        /// The blob store, the staging area or the catalog failed: the sender may try again. C-STORE A700.
        case storageFailed
        /// Stored here, but not yet confirmed at the synchronous-replication quorum: send again. C-STORE A700.
        case notReplicated
        /// A file to import could not be read or copied. C-STORE 0110.
        case cannotCopy
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// What a sender is told when the archive's own storage fails: what happened, never where
    /// (the server log has the path and the system's error).
    public init(storing error: BlobStoreError) {
        if case .outOfSpace = error {
            self.init(.outOfSpace, "out of space: the instance was not stored")
        } else {
            self.init(.storageFailed, "the archive cannot store it now; see the server log")
        }
    }
}
