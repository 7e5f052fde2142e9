#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import DICOM

/// Blobs as plain Part 10 files on a local file system: `blobs/<first two hex digits>/<SHA-256>.dcm`,
/// staged in `tmp/` beside them. A put fsyncs the staged file, links it into place (link(2)
/// never replaces an existing name) and fsyncs the directory; concurrent puts share the
/// directory fsyncs.
public struct LocalBlobStore: BlobStore {
    public let root: String
    public var blobsDirectory: String { root + "/blobs" }
    public var stagingDirectory: String { root + "/tmp" }
    private let directorySync: GroupCommit<String, Void>

    public init(root: String) throws(BlobStoreError) {
        self.root = root
        do {
            for path in [root, root + "/blobs", root + "/tmp"] { try SystemCalls.makeDirectory(path) }
        } catch {
            throw error.blobStoreError
        }
        directorySync = GroupCommit { directories in
            // The directories of a round are synced at once, so the file system can commit
            // them together.
            let failures = await withTaskGroup(of: (String, (any Error)?).self) { group in
                for directory in Set(directories) {
                    group.addTask {
                        do {
                            try await BlockingIO.run { try SystemCalls.fsync(path: directory, directory: true) }
                            return (directory, nil)
                        } catch {
                            return (directory, error)
                        }
                    }
                }
                var failures: [String: any Error] = [:]
                for await (directory, error) in group { failures[directory] = error }
                return failures
            }
            return directories.map { failures[$0].map { .failure($0) } ?? .success(()) }
        }
    }

    public func localPath(of id: BlobID) -> String? { path(of: id) }

    func path(of id: BlobID) -> String { "\(blobsDirectory)/\(id.hex.prefix(2))/\(id.hex).dcm" }

    public func put(_ staged: StagedBlob) async throws(BlobStoreError) -> PutOutcome {
        let shard = "\(blobsDirectory)/\(staged.id.hex.prefix(2))"
        let final = path(of: staged.id)
        let blobs = blobsDirectory
        let outcome: PutOutcome
        do {
            outcome = try await BlockingIO.run {
                defer { unlink(staged.path) }
                try SystemCalls.fsync(path: staged.path)
                try Self.makeShard(shard, in: blobs)
                if link(staged.path, final) == 0 { return PutOutcome.stored }
                guard errno == EEXIST else { throw SystemCallError("cannot link \(staged.path) to \(final)") }
                return .alreadyStored
            }
        } catch {
            throw (error as? SystemCallError)?.blobStoreError ?? .failed("\(error)")
        }
        // Whether linked now or by an earlier put still on its way, the name is durable
        // only once the directory is.
        do {
            try await directorySync.submit(shard)
        } catch {
            // Our name, not known to be durable: take it back so that a retry starts clean.
            if outcome == .stored { unlink(final) }
            throw (error as? SystemCallError)?.blobStoreError ?? .failed("\(error)")
        }
        return outcome
    }

    /// Puts that share their flushes: every file's data fsynced at once on the blocking
    /// threads (so the file system commits them together), each linked into place, then each
    /// directory they went into fsynced once for the whole group.
    public func put(group: [StagedBlob]) async -> [Result<PutOutcome, BlobStoreError>] {
        let blobs = blobsDirectory
        var results = await Self.concurrently(group) { staged throws(SystemCallError) -> PutOutcome in
            defer { unlink(staged.path) }
            try SystemCalls.fsync(path: staged.path)
            try Self.makeShard("\(blobs)/\(staged.id.hex.prefix(2))", in: blobs)
            if link(staged.path, path(of: staged.id)) == 0 { return .stored }
            guard errno == EEXIST else { throw SystemCallError("cannot link \(staged.path) to \(path(of: staged.id))") }
            return .alreadyStored
        }
        // A name linked now or by an earlier put is durable only once its directory is.
        let shards = Set(zip(group, results).compactMap { staged, result in (try? result.get()).map { _ in staged.id.hex.prefix(2) } })
        let synced = await Self.concurrently(Array(shards)) { shard throws(SystemCallError) in
            try SystemCalls.fsync(path: "\(blobs)/\(shard)", directory: true)
        }
        let failedShards = Dictionary(uniqueKeysWithValues: zip(shards, synced).compactMap { shard, result in
            if case .failure(let error) = result { return (shard, error) } else { return nil }
        })
        for (index, staged) in group.enumerated() {
            guard let error = failedShards[staged.id.hex.prefix(2)], case .success(let outcome) = results[index] else { continue }
            // Our name, not known to be durable: taken back so that a retry starts clean.
            if outcome == .stored { unlink(path(of: staged.id)) }
            results[index] = .failure(error)
        }
        return results.map { $0.mapError(\.blobStoreError) }
    }

    /// `body` on each item at once, on the blocking-I/O threads; the results in order.
    private static func concurrently<Item: Sendable, T: Sendable>(
        _ items: [Item], _ body: @Sendable @escaping (Item) throws(SystemCallError) -> T
    ) async -> [Result<T, SystemCallError>] {
        await withTaskGroup(of: (Int, Result<T, SystemCallError>).self) { group in
            for (index, item) in items.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await BlockingIO.run { try body(item) }))
                    } catch {
                        return (index, .failure(error as? SystemCallError ?? SystemCallError("\(error)", code: EIO)))
                    }
                }
            }
            var results = [Result<T, SystemCallError>?](repeating: nil, count: items.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    /// Puts a staged copy — checked by the caller to hash to its name — in place of a blob
    /// whose stored bytes went bad or missing: the one write to an existing name there is,
    /// and it restores the name's own bytes (zero-loss invariant 3). rename(2) replaces it
    /// atomically: a reader sees the bad bytes or the good, never a mix.
    public func heal(with staged: StagedBlob) async throws(BlobStoreError) {
        let shard = "\(blobsDirectory)/\(staged.id.hex.prefix(2))"
        let final = path(of: staged.id)
        let blobs = blobsDirectory
        do {
            try await BlockingIO.run {
                do {
                    try SystemCalls.fsync(path: staged.path)
                    try Self.makeShard(shard, in: blobs)
                    guard rename(staged.path, final) == 0 else { throw SystemCallError("cannot rename \(staged.path) to \(final)") }
                } catch {
                    unlink(staged.path)
                    throw error
                }
                try SystemCalls.fsync(path: shard, directory: true)
            }
        } catch {
            throw (error as? SystemCallError)?.blobStoreError ?? .failed("\(error)")
        }
    }

    /// Creates a shard folder the first time it is needed, durably (its parent fsynced).
    static func makeShard(_ shard: String, in blobs: String) throws(SystemCallError) {
        var shardInfo = stat()
        guard stat(shard, &shardInfo) != 0 else { return }
        try SystemCalls.makeDirectory(shard)
        try SystemCalls.fsync(path: blobs, directory: true)
    }

    public func contains(_ id: BlobID) async throws(BlobStoreError) -> Bool {
        do { return try SystemCalls.fileSize(path(of: id)) != nil } catch { throw error.blobStoreError }
    }

    public func size(of id: BlobID) async throws(BlobStoreError) -> Int {
        let size: Int?
        do { size = try SystemCalls.fileSize(path(of: id)) } catch { throw error.blobStoreError }
        guard let size else { throw .notFound(id) }
        return size
    }

    public func read(_ id: BlobID, range: Range<Int>?) async throws(BlobStoreError) -> [UInt8] {
        try await withBlob(id) { file in
            let wanted = (range ?? 0..<file.size).clamped(to: 0..<file.size)
            return try file.read(at: wanted.lowerBound, upTo: wanted.count)
        }
    }

    /// A whole blob's read (WADO-RS, a copy staged to send) opens the file once and reads it
    /// where it is asked for, as cat does; `read(_:range:)` opens it and goes through the
    /// blocking-I/O threads for every piece, which cost WADO-RS about a sixth of its throughput.
    public func reader(_ id: BlobID, range: Range<Int>? = nil, chunk: Int = 1 << 20) -> VerifiedBlobReader {
        let path = path(of: id)
        let opened: Result<OpenFile, BlobStoreError>
        do {
            // Blobs are never removed, so a name found here is still there when opened.
            guard try SystemCalls.fileSize(path) != nil else { throw BlobStoreError.notFound(id) }
            opened = .success(try OpenFile(path: path))
        } catch let error as BlobStoreError {
            opened = .failure(error)
        } catch let error as SystemCallError {
            opened = .failure(error.blobStoreError)
        } catch {
            opened = .failure(.failed("\(error)"))
        }
        return VerifiedBlobReader(id: id, range: range, chunk: chunk, size: { () async throws(BlobStoreError) in try opened.get().size },
                                  read: { (piece: Range<Int>) async throws(BlobStoreError) in
                                      let file = try opened.get()
                                      do { return try file.read(at: piece.lowerBound, upTo: piece.count) } catch { throw .failed("\(error)") }
                                  })
    }

    public func verify(_ id: BlobID) async throws(BlobStoreError) -> Bool {
        try await withBlob(id) { file in
            // One buffer for the whole file, read into and hashed in place (SHA extensions via BoringSSL).
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
            defer { buffer.deallocate() }
            var hasher = SHA256()
            var offset = 0
            while offset < file.size {
                let got = try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, file.size - offset)]))
                if got == 0 { break } // the file shrank under us: the hash says so
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<got]))
                offset += got
            }
            return BlobID(hasher.finalize()) == id
        }
    }

    /// Opens a blob with the DICOM library's `OpenFile` (pread, EINTR handled) and runs
    /// `body` on the blocking-I/O threads; `.notFound` when there is no such blob.
    private func withBlob<T: Sendable>(_ id: BlobID, _ body: @Sendable @escaping (OpenFile) throws -> T) async throws(BlobStoreError) -> T {
        let path = path(of: id)
        do {
            return try await BlockingIO.run {
                // Blobs are never removed, so a name found here is still there when opened.
                guard try SystemCalls.fileSize(path) != nil else { throw BlobStoreError.notFound(id) }
                return try body(try OpenFile(path: path))
            }
        } catch let error as BlobStoreError {
            throw error
        } catch let error as SystemCallError {
            throw error.blobStoreError
        } catch {
            throw .failed("\(error)")
        }
    }

    public func list(prefix: String) async throws(BlobStoreError) -> [BlobID] {
        do {
            var ids: [BlobID] = []
            for shard in try SystemCalls.names(in: blobsDirectory) where shard.utf8.count == 2 && (shard.hasPrefix(prefix) || prefix.hasPrefix(shard)) {
                for name in try SystemCalls.names(in: "\(blobsDirectory)/\(shard)") where name.hasSuffix(".dcm") {
                    if let id = BlobID(hex: String(name.dropLast(4))), id.hex.hasPrefix(shard), id.hex.hasPrefix(prefix) { ids.append(id) }
                }
            }
            return ids
        } catch {
            throw error.blobStoreError
        }
    }
}
