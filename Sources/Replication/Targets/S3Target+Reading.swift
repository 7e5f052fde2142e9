import Archive
import Foundation
import S3

/// Reading copies back from S3: HEAD for the size, the SHA-256 S3 recorded and the object
/// lock; GET for the bytes.
extension S3Target: ReadableTarget {
    /// Set when the target is write-once (`object-lock` in its configuration).
    public var lockMode: String? { retentionDays == nil ? nil : options.retention?.mode.rawValue }

    public func inspect(_ blob: BlobID) async throws(ReplicationError) -> RemoteCopy? {
        let info: S3Client.ObjectInfo?
        do {
            info = try await client.head(prefix + TargetLayout.blobKey(blob))
        } catch {
            throw .transient("\(name): \(error)")
        }
        guard let info else { return nil }
        // A multipart upload's checksum is of its parts ("…-3"): not the object's SHA-256.
        let recorded = info.checksumSHA256.flatMap { Data(base64Encoded: $0) }.flatMap { BlobID(digest: [UInt8]($0)) }
        return RemoteCopy(size: info.size, sha256: recorded, lockMode: info.lockMode,
                          lockedUntil: info.lockRetainUntil.flatMap { try? Date($0, strategy: .iso8601) })
    }

    public func fetch(_ blob: BlobID, into directory: String) async throws(ReplicationError) -> StagedBlob? {
        do {
            return try await Self.stage(into: directory, name: name) { staging in
                try await client.stream(prefix + TargetLayout.blobKey(blob)) { buffer throws(S3Error) in
                    do {
                        try buffer.withUnsafeReadableBytes { bytes throws(BlobStoreError) in try staging.write(bytes) }
                    } catch {
                        throw S3Error(status: nil, code: "LocalFile", message: "\(error)")
                    }
                }
            }
        } catch where error.message.contains("NoSuchKey") {
            return nil
        }
    }

    /// A new PUT: under object lock and versioning the bad version stays beside it, locked.
    public func repair(with local: OutboundBlob) async throws(ReplicationError) { try await put(local) }
}
