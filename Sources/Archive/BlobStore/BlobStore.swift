import DICOM

/// Where instances' bytes live: write-once files named by their SHA-256 (zero-loss
/// invariants 1, 2 and 4). Every backend keeps this contract; `BlobStoreConformance`
/// in the tests checks it against each one.
public protocol BlobStore: Sendable {
    /// Makes a staged file durable as blob `staged.id`.
    /// - When it returns, the blob's bytes and its name survive a crash or power loss.
    /// - Write-once and idempotent: if a blob by that name is already stored, nothing is
    ///   rewritten, the staged bytes are dropped and `.alreadyStored` is returned — once the
    ///   existing blob is durable too.
    /// - The staged file is consumed whether the call returns or throws.
    /// - When it throws, no blob by that name has appeared that was not there before.
    /// - Throws `.outOfSpace` when the storage is full, `.failed` otherwise.
    func put(_ staged: StagedBlob) async throws(BlobStoreError) -> PutOutcome

    /// Makes several staged files durable at once: for each, what `put` promises of one, with
    /// one result each, in order. A backend that can share the flushes between them does (the
    /// local one fsyncs each directory once for the group, not once a blob).
    func put(group: [StagedBlob]) async -> [Result<PutOutcome, BlobStoreError>]

    /// Puts a staged copy in place of a stored blob whose bytes went bad or missing — the one
    /// write to an existing name there is, and it restores the name's own bytes (zero-loss
    /// invariant 3): atomic (a reader sees the bad bytes or the good, never a mix), durable
    /// when it returns. The staged file is consumed either way. The caller has checked that the
    /// staged bytes are what it heals (their `id`).
    func heal(with staged: StagedBlob) async throws(BlobStoreError)

    /// Whether a blob by that name is stored. Never throws `.notFound`.
    func contains(_ id: BlobID) async throws(BlobStoreError) -> Bool

    /// The blob's length in bytes; `.notFound` if there is none.
    func size(of id: BlobID) async throws(BlobStoreError) -> Int

    /// The bytes of the blob in `range` (all of them when nil), cut short at its end;
    /// `.notFound` if there is none. The bytes are not checked against the name: `verify` does that.
    func read(_ id: BlobID, range: Range<Int>?) async throws(BlobStoreError) -> [UInt8]

    /// Whether the stored bytes still hash to the name; `.notFound` if there is none.
    func verify(_ id: BlobID) async throws(BlobStoreError) -> Bool

    /// The bytes of the blob in `range` (all of them when nil, cut short at its end), a piece
    /// of at most `chunk` bytes at a time, checked against the name as they go (zero-loss
    /// invariant 3): the whole blob is hashed, even for a range, and the last piece is given
    /// only once the hash matches — otherwise the read ends in `.damaged`, so no reader sees
    /// the end of bytes that are not the blob's. `.notFound` if there is none. A backend with
    /// a cheaper way to stream (one GET, one open file) may give its own.
    func reader(_ id: BlobID, range: Range<Int>?, chunk: Int) -> VerifiedBlobReader

    /// The names of the stored blobs that start with `prefix` ("" for all), in no
    /// particular order: for recovery and rebuilds, a shard at a time.
    func list(prefix: String) async throws(BlobStoreError) -> [BlobID]

    /// A local file holding the blob, where the backend keeps one: an optimisation (reading a
    /// header in place, sendfile), never a requirement; nil otherwise. The path says nothing
    /// of existence, nor of the bytes' integrity.
    func localPath(of id: BlobID) -> String?
}

public enum PutOutcome: Sendable, Equatable {
    /// The bytes are stored now.
    case stored
    /// The same bytes were stored already.
    case alreadyStored
}

extension BlobStore {
    /// Pieces read with `read(_:range:)`, whatever the backend.
    public func reader(_ id: BlobID, range: Range<Int>? = nil, chunk: Int = 1 << 20) -> VerifiedBlobReader {
        VerifiedBlobReader(id: id, range: range, chunk: chunk, size: { () async throws(BlobStoreError) in try await size(of: id) },
                           read: { (piece: Range<Int>) async throws(BlobStoreError) in try await read(id, range: piece) })
    }

    /// One put after another, for a backend with nothing to share between them.
    public func put(group: [StagedBlob]) async -> [Result<PutOutcome, BlobStoreError>] {
        var results: [Result<PutOutcome, BlobStoreError>] = []
        for staged in group {
            do { results.append(.success(try await put(staged))) } catch { results.append(.failure(error)) }
        }
        return results
    }

    /// A blob's Part 10 header, without its pixel data: from its local file where there is
    /// one, else from its bytes.
    func readHeader(_ id: BlobID) async throws -> DICOMFile {
        if let path = localPath(of: id) {
            return try await BlockingIO.run { try DICOMFile(path: path, options: .headerOnly) }
        }
        return try DICOMFile(bytes: try await read(id, range: nil), options: .headerOnly)
    }
}
