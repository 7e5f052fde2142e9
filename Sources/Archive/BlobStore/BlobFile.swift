/// A blob as a file, for a reader that takes a path (a replication target, a DICOM sender):
/// the store's own file where it keeps one, else a copy staged through the verified reader.
public struct BlobFile: Sendable {
    public let path: String
    /// The staged copy, when the store keeps no file of its own; nil: `path` is the store's.
    let copy: StagedBlob?

    /// Removes the staged copy, if there is one; the store's own file is left alone.
    public func discard() { copy?.discard() }
}

extension BlobStore {
    /// The blob as a file. A staged copy is whole and hashes to the blob's name, or there is
    /// none (`.damaged`, `.notFound`): nothing half-read is left in `staging`.
    public func file(of id: BlobID, staging: String) async throws -> BlobFile {
        if let path = localPath(of: id) { return BlobFile(path: path, copy: nil) }
        let copy = try await verifiedCopy(of: id, in: staging)
        return BlobFile(path: copy.path, copy: copy)
    }

    /// A copy of a blob in `staging`, read through the verified reader; the caller discards it.
    public func verifiedCopy(of id: BlobID, in staging: String) async throws -> StagedBlob {
        let file = try StagingFile(in: staging)
        do {
            for try await piece in reader(id, range: nil, chunk: 1 << 20) { try file.write(piece) }
            return try file.finish()
        } catch {
            file.discard()
            throw error
        }
    }
}
