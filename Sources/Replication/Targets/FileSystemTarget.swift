import Archive
import DICOM
import Foundation

/// A mounted file system — a NAS share, an external disk — laid out like Lifeboat's own
/// data directory (`blobs/`, `tmp/`) plus `studies/`, `catalog/` and `audit/`: each blob copied into `tmp/` while
/// hashed, checked against its name, then made durable and linked into place by the same
/// blob store the archive uses.
public struct FileSystemTarget: SingleBlobTarget {
    public let name: String
    public let root: String
    let store: LocalBlobStore
    public let concurrency: Int

    public init(name: String, root: String, concurrency: Int = 4) throws(ReplicationError) {
        self.name = name
        self.root = root
        self.concurrency = concurrency
        do {
            store = try LocalBlobStore(root: root)
            try FileManager.default.createDirectory(atPath: root + "/studies", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/catalog", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/audit", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/changes", withIntermediateDirectories: true)
        } catch {
            throw .transient("\(name): cannot use \(root): \(error)")
        }
    }

    public func put(_ blob: OutboundBlob) async throws(ReplicationError) {
        do {
            if try await store.contains(blob.blob), try await store.size(of: blob.blob) == blob.size { return }
        } catch {
            throw .transient("\(name): \(error)")
        }
        do {
            _ = try await store.put(try stageCopy(of: blob))
        } catch let error as ReplicationError {
            throw error
        } catch {
            throw .transient("\(name): \(error)")
        }
    }

    /// Copies the local file into the target's `tmp/`, hashing it on the way; a copy that
    /// does not hash to its name is dropped and refused.
    func stageCopy(of blob: OutboundBlob) throws(ReplicationError) -> StagedBlob {
        let source: OpenFile
        do {
            source = try OpenFile(path: blob.path)
        } catch {
            throw .permanent("the local copy of \(blob.sopInstanceUID) cannot be read: \(error)")
        }
        let staged: StagedBlob
        do {
            let staging = try StagingFile(in: store.stagingDirectory)
            do {
                try staging.write(contentsOf: source)
                staged = try staging.finish()
            } catch {
                staging.discard()
                throw error
            }
        } catch let error as DICOMError {
            throw .permanent("the local copy of \(blob.sopInstanceUID) cannot be read: \(error)")
        } catch {
            throw .transient("\(name): cannot write to \(root): \(error)")
        }
        guard staged.id == blob.blob else {
            staged.discard()
            throw .permanent("the local copy of \(blob.sopInstanceUID) does not match its SHA-256 (\(blob.blob.hex.prefix(12))…): not copied")
        }
        return staged
    }

    public func put(snapshot path: String, name: String) async throws(ReplicationError) {
        do {
            try DurableFile.copy(path, to: "\(root)/\(TargetLayout.snapshotKey(name))", staging: store.stagingDirectory)
        } catch {
            throw .transient("\(self.name): cannot copy the catalog snapshot to \(root): \(error)")
        }
    }

    public func put(auditHead: ChainHead, name: String) async throws(ReplicationError) {
        let path = "\(root)/\(TargetLayout.auditHeadKey(name))"
        do {
            try DurableFile.replace(path, with: [UInt8](auditHead.json()), staging: store.stagingDirectory)
        } catch {
            throw .transient("\(self.name): cannot write \(path): \(error)")
        }
    }

    public func put(changes: [UInt8], name: String) async throws(ReplicationError) {
        let path = "\(root)/\(TargetLayout.changesKey(name))"
        do {
            try DurableFile.replace(path, with: changes, staging: store.stagingDirectory)
        } catch {
            throw .transient("\(self.name): cannot write \(path): \(error)")
        }
    }

    /// Replaced whole (`DurableFile`): a reader sees the old manifest or the new.
    public func put(_ manifest: StudyManifest) async throws(ReplicationError) {
        let path = "\(root)/\(TargetLayout.manifestKey(manifest.studyInstanceUID))"
        do {
            try DurableFile.replace(path, with: manifest.json(), staging: store.stagingDirectory)
        } catch {
            throw .transient("\(name): cannot write \(path): \(error)")
        }
    }
}
