#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

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
                var shardInfo = stat()
                if stat(shard, &shardInfo) != 0 {
                    try SystemCalls.makeDirectory(shard)
                    try SystemCalls.fsync(path: blobs, directory: true)
                }
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
        let path = path(of: id)
        do {
            return try await BlockingIO.run {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    if errno == ENOENT { throw BlobStoreError.notFound(id) }
                    throw SystemCallError("cannot open \(path)").blobStoreError
                }
                defer { close(fd) }
                var info = stat()
                guard fstat(fd, &info) == 0 else { throw SystemCallError("cannot stat \(path)").blobStoreError }
                let wanted = (range ?? 0..<Int(info.st_size)).clamped(to: 0..<Int(info.st_size))
                return try [UInt8](unsafeUninitializedCapacity: wanted.count) { buffer, initialized in
                    initialized = 0
                    while initialized < wanted.count {
                        let got = pread(fd, buffer.baseAddress! + initialized, wanted.count - initialized, off_t(wanted.lowerBound + initialized))
                        if got < 0 && errno == EINTR { continue }
                        guard got > 0 else { throw SystemCallError("cannot read \(path)").blobStoreError }
                        initialized += got
                    }
                }
            }
        } catch let error as BlobStoreError {
            throw error
        } catch {
            throw .failed("\(error)")
        }
    }

    public func verify(_ id: BlobID) async throws(BlobStoreError) -> Bool {
        let path = path(of: id)
        do {
            return try await BlockingIO.run {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    if errno == ENOENT { throw BlobStoreError.notFound(id) }
                    throw SystemCallError("cannot open \(path)").blobStoreError
                }
                defer { close(fd) }
                var hasher = SHA256()
                var chunk = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                    if got < 0 && errno == EINTR { continue }
                    if got < 0 { throw SystemCallError("cannot read \(path)").blobStoreError }
                    if got == 0 { break }
                    chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<got])) }
                }
                return BlobID(hasher.finalize()) == id
            }
        } catch let error as BlobStoreError {
            throw error
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
