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

    /// The newest version whose bytes hash to the name: a copy overwritten since (ransomware
    /// with write rights, on a versioned bucket) is passed over for the version before.
    public func fetch(_ blob: BlobID, into directory: String) async throws(ReplicationError) -> StagedBlob? {
        let key = prefix + TargetLayout.blobKey(blob)
        guard let latest = try await fetch(key, version: nil, into: directory) else { return nil }
        guard latest.id != blob else { return latest }
        let older: [S3Client.ObjectVersion]
        do {
            older = try await client.versions(prefix: key).filter { $0.key == key && !$0.isLatest && !$0.isDeleteMarker }
        } catch {
            return latest // an unversioned bucket: the caller sees the bytes do not match
        }
        for version in older {
            guard let staged = try await fetch(key, version: version.versionID, into: directory) else { continue }
            if staged.id == blob {
                latest.discard()
                return staged
            }
            staged.discard()
        }
        return latest
    }

    func fetch(_ key: String, version: String?, into directory: String) async throws(ReplicationError) -> StagedBlob? {
        do {
            return try await Self.stage(into: directory, name: name) { staging in
                try await client.stream(key, versionID: version) { buffer throws(S3Error) in
                    do {
                        try buffer.withUnsafeReadableBytes { bytes throws(BlobStoreError) in try staging.write(bytes) }
                    } catch {
                        throw S3Error(status: nil, code: "LocalFile", message: "\(error)")
                    }
                }
            }
        } catch where error.message.contains("NoSuchKey") || error.message.contains("NoSuchVersion") {
            return nil
        }
    }

    public func files(under folder: String, asOf moment: Date?, after key: String?) async throws(ReplicationError) -> [TargetFile] {
        do {
            if let moment {
                return try await client.versions(prefix: prefix + folder, asOf: moment, after: key.map { prefix + $0 }).map {
                    TargetFile(key: String($0.key.dropFirst(prefix.count)), version: $0.versionID, modified: $0.lastModified)
                }
            }
            return try await listed(under: folder, after: key).map { TargetFile(key: $0.key, modified: $0.lastModified) }
        } catch {
            throw .transient("\(name): \(error)")
        }
    }

    public func read(_ file: TargetFile, to path: String) async throws(ReplicationError) {
        do {
            try await client.download(prefix + file.key, versionID: file.version, to: path)
        } catch {
            throw .transient("\(name): \(file.key): \(error)")
        }
    }

    public func blobIDs(asOf moment: Date?) async throws(ReplicationError) -> [BlobID] {
        do {
            let keys = if let moment { try await client.versions(prefix: prefix + "blobs/", asOf: moment).map { String($0.key.dropFirst(prefix.count)) } }
                       else { try await listed(under: "blobs/").map(\.key) }
            return keys.compactMap { key in key.hasSuffix(".dcm") ? BlobID(hex: String(key.split(separator: "/").last?.dropLast(4) ?? "")) : nil }
        } catch {
            throw .transient("\(name): \(error)")
        }
    }

    /// Every object under `folder` (after `key`, when given), keys without the target's prefix.
    func listed(under folder: String, after key: String? = nil) async throws(S3Error) -> [S3Client.ListedObject] {
        var objects: [S3Client.ListedObject] = []
        var token: String?
        repeat {
            let page = try await client.list(prefix: prefix + folder, after: token, startAfter: token == nil ? key.map { prefix + $0 } : nil)
            objects += page.objects.map { object in
                var object = object
                object.key = String(object.key.dropFirst(prefix.count))
                return object
            }
            token = page.next
        } while token != nil
        return objects
    }

    /// A new PUT: under object lock and versioning the bad version stays beside it, locked.
    public func repair(with local: OutboundBlob) async throws(ReplicationError) { try await put(local) }
}
