#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystemExtras
import Crypto
import DICOM
import Foundation

/// A blob being written: bytes go to a file in the staging directory (`tmp/`, on the same
/// file system as the blobs so that a rename moves them) and through SHA-256 as they
/// arrive, so the name is known the moment the last byte is written.
public final class StagingFile: @unchecked Sendable {
    // @unchecked: one writer at a time — an association writes, finishes or discards one
    // instance from one task, one call after another.
    public let path: String
    private var fd: Int32
    private var hasher = SHA256()
    private var size = 0
    /// How far the kernel has been asked to start writing back.
    private var writebackStarted = 0
    static let writebackStep = 256 * 1024

    /// Creates `<directory>/<random>.tmp`.
    public init(in directory: String) throws(BlobStoreError) {
        path = "\(directory)/\(UUID().uuidString).tmp"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) // PHI: the service user only
        guard fd >= 0 else { throw SystemCallError("cannot create \(path)").blobStoreError }
    }

    deinit { if fd >= 0 { close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(BlobStoreError) {
        do {
            try SystemCalls.writeAll(fd, bytes, path: path)
        } catch {
            throw error.blobStoreError
        }
        hasher.update(bufferPointer: bytes)
        size += bytes.count
        startWriteback()
    }

    /// Starts writing what has arrived to disk while the rest is still on its way, so the
    /// fsync that makes the blob durable has only the tail left to wait for.
    private func startWriteback() {
        guard size - writebackStarted >= Self.writebackStep else { return }
        _ = lifeboat_start_writeback(fd, Int64(writebackStarted), Int64(size - writebackStarted))
        writebackStarted = size
    }

    public func write(_ bytes: [UInt8]) throws(BlobStoreError) {
        var failure: BlobStoreError?
        bytes.withUnsafeBytes { raw in
            do throws(BlobStoreError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes a whole file, read a megabyte at a time: a `DICOMError` when it cannot be read,
    /// a `BlobStoreError` when the staging file cannot be written.
    public func write(contentsOf source: OpenFile) throws {
        var offset = 0
        while offset < source.size {
            let chunk = try source.read(at: offset, upTo: 1 << 20)
            if chunk.isEmpty { break } // cut short under us: the hash says so
            try write(chunk)
            offset += chunk.count
        }
    }

    /// All bytes are written: closes the file (not yet durable: `BlobStore.put` does that).
    /// A file that cannot be closed is removed before the error is thrown: nothing is left.
    public func finish() throws(BlobStoreError) -> StagedBlob {
        let descriptor = fd
        fd = -1
        guard close(descriptor) == 0 else {
            let error = SystemCallError("cannot close \(path)").blobStoreError
            unlink(path)
            throw error
        }
        return StagedBlob(path: path, id: BlobID(hasher.finalize()), size: size)
    }

    /// Drops what was written.
    public func discard() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(path)
    }
}

/// A complete staged file and the name its bytes hash to.
public struct StagedBlob: Sendable, Equatable {
    public let path: String
    public let id: BlobID
    public let size: Int

    /// Removes the staged file (after a put that found the blob already stored, or a refusal).
    public func discard() { unlink(path) }
}
