import Archive
import Foundation

/// What a target says of its copy of a blob without sending the bytes.
public struct RemoteCopy: Sendable, Equatable {
    public var size: Int
    /// The SHA-256 the target itself recorded for the copy (S3's checksum of a single-part
    /// upload), when it keeps one: checked against the name without reading the bytes.
    public var sha256: BlobID?
    /// The copy's object lock, when it has one.
    public var lockMode: String?
    public var lockedUntil: Date?

    public init(size: Int, sha256: BlobID? = nil, lockMode: String? = nil, lockedUntil: Date? = nil) {
        self.size = size
        self.sha256 = sha256
        self.lockMode = lockMode
        self.lockedUntil = lockedUntil
    }
}

/// A file a target keeps beside its blobs — a catalog snapshot, a study's manifest — as it
/// stood at some moment: on a versioned S3 bucket, one version of its key.
public struct TargetFile: Sendable, Equatable {
    /// Its key under the target's layout (`catalog/…`, `studies/…`).
    public var key: String
    public var version: String?
    public var modified: Date?

    public init(key: String, version: String? = nil, modified: Date? = nil) {
        self.key = key
        self.version = version
        self.modified = modified
    }
}

/// A target whose copies can be read back — to verify them, to heal a local blob from them,
/// to restore a site — and put right when they are bad.
public protocol ReadableTarget: ReplicationTarget {
    /// The copy's size and what the target recorded of it; nil when it holds none.
    func inspect(_ blob: BlobID) async throws(ReplicationError) -> RemoteCopy?

    /// Reads the copy whole into a new file in `directory` (same file system as the local
    /// blobs), hashing it on the way: the staged file's `id` says what the bytes really are,
    /// which the caller checks against `blob`. Nil when the target holds no copy.
    func fetch(_ blob: BlobID, into directory: String) async throws(ReplicationError) -> StagedBlob?

    /// The files under `folder` ("catalog/", "studies/") as they stood at `moment` (as they
    /// are now when nil), so that what was altered or added later is left out; each with its
    /// modification time. With `after`, only the keys that sort after it: files named by
    /// their time (`changes/<time>-<n>.jsonl`) from a moment on, whatever is kept before.
    func files(under folder: String, asOf moment: Date?, after key: String?) async throws(ReplicationError) -> [TargetFile]

    /// A file's bytes, written to `path`.
    func read(_ file: TargetFile, to path: String) async throws(ReplicationError)

    /// Every blob the target holds (held at `moment`, when given), by name.
    func blobIDs(asOf moment: Date?) async throws(ReplicationError) -> [BlobID]

    /// The object lock every copy must carry ("COMPLIANCE", "GOVERNANCE") on a write-once
    /// target; nil elsewhere.
    var lockMode: String? { get }

    /// Puts a good copy (`local`, already checked against its name) in place of a bad or
    /// missing one, even where a copy by that name exists.
    func repair(with local: OutboundBlob) async throws(ReplicationError)
}

extension ReadableTarget {
    public var lockMode: String? { nil }

    public func files(under folder: String, asOf moment: Date?) async throws(ReplicationError) -> [TargetFile] {
        try await files(under: folder, asOf: moment, after: nil)
    }

    /// Streams `read`'s chunks into a staging file, dropping it on any failure.
    static func stage(into directory: String, name: String, _ read: (StagingFile) async throws -> Void) async throws(ReplicationError) -> StagedBlob {
        let staging: StagingFile
        do {
            staging = try StagingFile(in: directory)
        } catch {
            throw .transient("\(name): cannot stage in \(directory): \(error)")
        }
        do {
            try await read(staging)
            return try staging.finish()
        } catch let error as ReplicationError {
            staging.discard()
            throw error
        } catch {
            staging.discard()
            throw .transient("\(name): \(error)")
        }
    }
}
