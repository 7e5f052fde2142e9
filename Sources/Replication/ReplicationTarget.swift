import Archive
import Foundation
import S3

/// A stored version on its way to a target: its local file and what a DICOM target needs.
public struct OutboundBlob: Sendable, Equatable {
    public var blob: BlobID
    public var path: String
    public var size: Int
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var studyInstanceUID: String

    public init(blob: BlobID, path: String, size: Int, sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, studyInstanceUID: String) {
        self.blob = blob
        self.path = path
        self.size = size
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.studyInstanceUID = studyInstanceUID
    }
}

/// Why a version did not reach a target. Transient ones (the target down, the link cut, a
/// wrong key not yet fixed) are retried for ever with backoff; permanent ones concern the
/// version itself (its local copy damaged, a DICOM node refusing it) and set it aside —
/// kept and shown, never dropped.
public struct ReplicationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var isPermanent: Bool

    public static func transient(_ message: String) -> ReplicationError { ReplicationError(message: message, isPermanent: false) }
    public static func permanent(_ message: String) -> ReplicationError { ReplicationError(message: message, isPermanent: true) }

    public var description: String { message }
}

/// Somewhere copies go: an S3 bucket, a mounted file system, a DICOM node, another Lifeboat.
public protocol ReplicationTarget: Sendable {
    var name: String { get }
    /// Whether the target keeps files beside the blobs (manifests, catalog snapshots) from
    /// which the archive can be rebuilt; a DICOM node does not.
    var keepsManifests: Bool { get }
    /// How many `put` calls may run at once, and at most how many blobs each is given.
    var concurrency: Int { get }
    var batchSize: Int { get }

    /// Makes each blob durable at the target under its SHA-256 — checking the local bytes
    /// against it on the way (zero-loss invariant 3) — and says, in order, how each went.
    /// Idempotent: a blob already there is fine.
    func put(_ blobs: [OutboundBlob]) async -> [Result<Void, ReplicationError>]

    /// Writes (or rewrites) a study's manifest.
    func put(_ manifest: StudyManifest) async throws(ReplicationError)

    /// Keeps a catalog snapshot (an SQLite file) under `catalog/<name>`.
    func put(snapshot path: String, name: String) async throws(ReplicationError)

    /// Keeps a copy of the audit log's head under `audit/<name>`, beside the earlier ones.
    func put(auditHead: ChainHead, name: String) async throws(ReplicationError)

    /// Keeps a segment of the change log (JSON lines of `CatalogChange`) under `changes/<name>`.
    func put(changes: [UInt8], name: String) async throws(ReplicationError)
}

extension ReplicationTarget {
    public var keepsManifests: Bool { true }
    public var batchSize: Int { 1 }
    public func put(_ manifest: StudyManifest) async throws(ReplicationError) {}
    public func put(snapshot path: String, name: String) async throws(ReplicationError) {}
    public func put(auditHead: ChainHead, name: String) async throws(ReplicationError) {}
    public func put(changes: [UInt8], name: String) async throws(ReplicationError) {}
}

/// A target that takes one blob at a time (S3, a file system, another Lifeboat): the
/// worker keeps `concurrency` of them on their way.
public protocol SingleBlobTarget: ReplicationTarget {
    func put(_ blob: OutboundBlob) async throws(ReplicationError)
}

extension SingleBlobTarget {
    public func put(_ blobs: [OutboundBlob]) async -> [Result<Void, ReplicationError>] {
        var results: [Result<Void, ReplicationError>] = []
        for blob in blobs {
            do throws(ReplicationError) {
                try await put(blob)
                results.append(.success(()))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}

/// Where things go on a target that keeps files (S3, a file system), so that any tool can
/// find them (zero-loss invariant 4):
///
///     blobs/ab/ab12…ef.dcm      each version: a plain Part 10 file named by its SHA-256
///     studies/<Study UID>.json  each study's manifest (StudyManifest)
///     catalog/<time>.sqlite     catalog snapshots
///     audit/<time>.json         the audit log's head (ChainHead), copied as it grows
///     changes/<time>-<n>.jsonl  the change log: each version the target confirmed (CatalogChange)
public enum TargetLayout {
    public static func blobKey(_ id: BlobID) -> String { "blobs/\(id.hex.prefix(2))/\(id.hex).dcm" }
    public static func manifestKey(_ studyInstanceUID: String) -> String { "studies/\(studyInstanceUID).json" }
    public static func snapshotKey(_ name: String) -> String { "catalog/\(name)" }
    public static func auditHeadKey(_ name: String) -> String { "audit/\(name)" }
    public static func changesKey(_ name: String) -> String { "changes/\(name)" }

    /// How snapshots, audit heads and change-log segments are named by their time, so that
    /// name order is time order: "20261122T000000Z" (ISO 8601 basic format, UTC).
    public static func timeName(_ date: Date) -> String { SigV4.basicFormat.format(date) }

    /// The time a name begins with (`catalog/20261122T000000Z.sqlite`); nil when it begins with none.
    public static func moment(ofName key: String) -> Date? {
        try? SigV4.basicFormat.parse(key.split(separator: "/").last.map { String($0.prefix(16)) } ?? "")
    }
}
