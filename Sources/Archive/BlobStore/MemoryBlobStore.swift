import Foundation
import Synchronization

/// Blobs in memory, for tests: the same contract as the other backends, and a fault to
/// inject (`failPuts`) to see what the layers above do when storage fails.
public final class MemoryBlobStore: BlobStore {
    private let blobs = Mutex<[BlobID: [UInt8]]>([:])
    private let fault = Mutex<BlobStoreError?>(nil)

    public init() {}

    /// Every put throws `error` until this is called again with nil.
    public func failPuts(with error: BlobStoreError?) { fault.withLock { $0 = error } }

    public func put(_ staged: StagedBlob) async throws(BlobStoreError) -> PutOutcome {
        defer { staged.discard() }
        if let error = fault.withLock({ $0 }) { throw error }
        guard let bytes = FileManager.default.contents(atPath: staged.path) else { throw .failed("cannot read \(staged.path)") }
        return blobs.withLock { blobs in
            if blobs[staged.id] != nil { return .alreadyStored }
            blobs[staged.id] = Array(bytes)
            return .stored
        }
    }

    public func heal(with staged: StagedBlob) async throws(BlobStoreError) {
        defer { staged.discard() }
        guard let bytes = FileManager.default.contents(atPath: staged.path) else { throw .failed("cannot read \(staged.path)") }
        blobs.withLock { $0[staged.id] = Array(bytes) }
    }

    public func contains(_ id: BlobID) async throws(BlobStoreError) -> Bool { blobs.withLock { $0[id] != nil } }

    public func size(of id: BlobID) async throws(BlobStoreError) -> Int {
        guard let bytes = blobs.withLock({ $0[id] }) else { throw .notFound(id) }
        return bytes.count
    }

    public func read(_ id: BlobID, range: Range<Int>?) async throws(BlobStoreError) -> [UInt8] {
        guard let bytes = blobs.withLock({ $0[id] }) else { throw .notFound(id) }
        return Array(bytes[(range ?? 0..<bytes.count).clamped(to: 0..<bytes.count)])
    }

    public func verify(_ id: BlobID) async throws(BlobStoreError) -> Bool {
        guard let bytes = blobs.withLock({ $0[id] }) else { throw .notFound(id) }
        return BlobID(of: bytes) == id
    }

    public func list(prefix: String) async throws(BlobStoreError) -> [BlobID] {
        blobs.withLock { $0.keys.filter { $0.hex.hasPrefix(prefix) } }
    }

    public func localPath(of id: BlobID) -> String? { nil }

    /// Replaces a blob's bytes behind the store's back, as a failing disk would.
    public func corrupt(_ id: BlobID, with bytes: [UInt8]) { blobs.withLock { $0[id] = bytes } }
}
