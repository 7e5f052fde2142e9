import Archive
import DICOM
import Foundation

/// Reading copies back from a mounted file system: its blob store, read like the local one.
extension FileSystemTarget: ReadableTarget {
    /// The size alone: a file system keeps no checksum of its own (the name is the SHA-256;
    /// reading the bytes back checks it).
    public func inspect(_ blob: BlobID) async throws(ReplicationError) -> RemoteCopy? {
        do {
            guard try await store.contains(blob) else { return nil }
            return RemoteCopy(size: try await store.size(of: blob))
        } catch .notFound {
            return nil
        } catch {
            throw .transient("\(name): \(error)")
        }
    }

    public func fetch(_ blob: BlobID, into directory: String) async throws(ReplicationError) -> StagedBlob? {
        guard let path = store.localPath(of: blob), FileManager.default.fileExists(atPath: path) else { return nil }
        return try await Self.stage(into: directory, name: name) { staging in
            try staging.write(contentsOf: try OpenFile(path: path))
        }
    }

    public func repair(with local: OutboundBlob) async throws(ReplicationError) {
        let staged = try stageCopy(of: local)
        do {
            try await store.heal(with: staged)
        } catch {
            throw .transient("\(name): \(error)")
        }
    }

    /// A file system keeps no versions: the files as they are, less those changed after
    /// `moment` (by their modification time).
    public func files(under folder: String, asOf moment: Date?, after key: String?) async throws(ReplicationError) -> [TargetFile] {
        let directory = "\(root)/\(folder)"
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().compactMap { name in
                if let key, folder + name <= key { return nil }
                let modified = try FileManager.default.attributesOfItem(atPath: directory + name)[.modificationDate] as? Date
                if let moment, let modified, modified > moment { return nil }
                return TargetFile(key: folder + name, modified: modified)
            }
        } catch {
            throw .transient("\(name): cannot list \(directory): \(error)")
        }
    }

    public func read(_ file: TargetFile, to path: String) async throws(ReplicationError) {
        do {
            try FileManager.default.copyItem(atPath: "\(root)/\(file.key)", toPath: path)
        } catch {
            throw .transient("\(name): cannot read \(file.key): \(error)")
        }
    }

    public func blobIDs(asOf moment: Date?) async throws(ReplicationError) -> [BlobID] {
        do {
            let all = try await store.list(prefix: "")
            guard let moment else { return all }
            return all.filter { blob in
                guard let path = store.localPath(of: blob),
                      let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date else { return false }
                return modified <= moment
            }
        } catch {
            throw .transient("\(name): \(error)")
        }
    }
}
