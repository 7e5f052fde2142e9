import Archive
import Foundation
import NIOCore
import S3

/// An S3 bucket (AWS, MinIO, Ceph RGW...): blobs under `prefix` + `TargetLayout`, each put
/// with its SHA-256 signed and checked by the service, optionally encrypted at rest and held
/// under object lock for a number of days.
public struct S3Target: SingleBlobTarget {
    public let name: String
    public let client: S3Client
    public let prefix: String
    let options: S3Client.PutOptions
    let retentionDays: Int?
    public let concurrency: Int

    public init(name: String, client: S3Client, prefix: String = "", encryption: S3Client.PutOptions.Encryption? = nil,
                lock: (mode: S3Client.PutOptions.LockMode, days: Int)? = nil, concurrency: Int = 8) {
        self.name = name
        self.client = client
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        var options = S3Client.PutOptions(contentType: "application/dicom", encryption: encryption)
        if let lock { options.retention = (lock.mode, Date()) }
        self.options = options
        retentionDays = lock?.days
        self.concurrency = concurrency
    }

    /// Each put's options: a retention counted from now.
    func options(now: Date = Date()) -> S3Client.PutOptions {
        var options = self.options
        if let days = retentionDays, let mode = options.retention?.mode { options.retention = (mode, now.addingTimeInterval(Double(days) * 86400)) }
        return options
    }

    public func put(_ blob: OutboundBlob) async throws(ReplicationError) {
        do throws(S3Error) {
            try await client.put(prefix + TargetLayout.blobKey(blob.blob), file: blob.path, sha256: blob.blob.bytes, options: options())
        } catch {
            throw Self.classify(error, name: name, what: blob.sopInstanceUID)
        }
    }

    public func put(_ manifest: StudyManifest) async throws(ReplicationError) {
        var options = options()
        options.contentType = "application/json"
        do throws(S3Error) {
            try await client.put(prefix + TargetLayout.manifestKey(manifest.studyInstanceUID), bytes: ByteBuffer(bytes: manifest.json()), options: options)
        } catch {
            throw Self.classify(error, name: name, what: "the manifest of \(manifest.studyInstanceUID)")
        }
    }

    public func put(snapshot path: String, name: String) async throws(ReplicationError) {
        var options = options()
        options.contentType = "application/vnd.sqlite3"
        do throws(S3Error) {
            try await client.put(prefix + TargetLayout.snapshotKey(name), file: path, options: options)
        } catch {
            throw .transient("\(self.name): the catalog snapshot: \(error)")
        }
    }

    /// Under object lock like the blobs: a head once copied cannot be taken back.
    public func put(auditHead: ChainHead, name: String) async throws(ReplicationError) {
        var options = options()
        options.contentType = "application/json"
        do throws(S3Error) {
            try await client.put(prefix + TargetLayout.auditHeadKey(name), bytes: ByteBuffer(bytes: [UInt8](auditHead.json())), options: options)
        } catch {
            throw .transient("\(self.name): the audit head: \(error)")
        }
    }

    /// Under object lock like the blobs: the catalog's history cannot be rewritten either.
    public func put(changes: [UInt8], name: String) async throws(ReplicationError) {
        var options = options()
        options.contentType = "application/x-ndjson"
        do throws(S3Error) {
            try await client.put(prefix + TargetLayout.changesKey(name), bytes: ByteBuffer(bytes: changes), options: options)
        } catch {
            throw .transient("\(self.name): the change log: \(error)")
        }
    }

    /// A local file that is unreadable or not what its name says concerns that version alone;
    /// anything the service says — even a refused key, until someone fixes it — is retried.
    static func classify(_ error: S3Error, name: String, what: String) -> ReplicationError {
        if error.code == S3Error.localChecksumMismatch { return .permanent("the local copy of \(what) does not match its SHA-256: not sent") }
        if error.code == "LocalFile" { return .permanent("the local copy of \(what) cannot be read: \(error.message)") }
        return .transient("\(name): \(error)")
    }
}
