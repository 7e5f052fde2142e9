import Archive
import Foundation
import Replication

/// Checks one copy of one stored version against what the catalog knows of it.
enum CopyCheck {
    /// The local blob: there, of its size, hashing to its name (zero-loss invariant 3).
    static func local(_ item: ScrubItem, in blobs: any BlobStore) async throws(BlobStoreError) -> IntegrityFinding.Problem? {
        let size: Int
        do {
            size = try await blobs.size(of: item.blob)
        } catch .notFound {
            return .missing
        }
        guard size == item.size else { return .wrongSize }
        do {
            return try await blobs.verify(item.blob) ? nil : .corrupt
        } catch .notFound {
            return .missing
        }
    }

    /// A target's copy: what the target says of it (size, its own checksum, its lock) and,
    /// when `readBack`, its bytes read back whole and hashed. Returns the problem and how
    /// many bytes were read.
    static func remote(_ item: ScrubItem, at target: any ReadableTarget, readBack: Bool, scratch: String,
                       now: Date = Date()) async throws(ReplicationError) -> (problem: IntegrityFinding.Problem?, read: Int) {
        guard let copy = try await target.inspect(item.blob) else { return (.missing, 0) }
        guard copy.size == item.size else { return (.wrongSize, 0) }
        if let recorded = copy.sha256, recorded != item.blob { return (.corrupt, 0) }
        if let mode = target.lockMode, copy.lockMode?.uppercased() != mode.uppercased() || (copy.lockedUntil ?? .distantPast) <= now {
            return (.notLocked, 0)
        }
        guard readBack else { return (nil, 0) }
        guard let staged = try await target.fetch(item.blob, into: scratch) else { return (.missing, 0) }
        staged.discard()
        return (staged.id == item.blob ? nil : staged.size == item.size ? .corrupt : .wrongSize, staged.size)
    }
}
