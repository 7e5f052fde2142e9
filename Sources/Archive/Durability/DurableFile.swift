#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Small files that are replaced whole (a study manifest, a marker): a reader sees the old
/// contents or the new, never part of either, and the new survives a crash once `replace`
/// returns.
public enum DurableFile {
    /// Writes `bytes` to a new file in `staging` (on the same file system), flushes it,
    /// renames it over `path` and flushes `path`'s directory.
    public static func replace(_ path: String, with bytes: [UInt8], staging: String) throws(BlobStoreError) {
        let temporary = "\(staging)/\(UUID().uuidString).tmp"
        do throws(SystemCallError) {
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemCallError("cannot create \(temporary)") }
            do {
                defer { close(fd) }
                var failure: SystemCallError?
                bytes.withUnsafeBytes { raw in
                    do throws(SystemCallError) { try SystemCalls.writeAll(fd, raw, path: temporary) } catch { failure = error }
                }
                if let failure { throw failure }
                guard fsync(fd) == 0 else { throw SystemCallError("cannot fsync \(temporary)") }
            }
            guard rename(temporary, path) == 0 else { throw SystemCallError("cannot rename \(temporary) to \(path)") }
            try SystemCalls.fsync(path: (path as NSString).deletingLastPathComponent, directory: true)
        } catch {
            unlink(temporary)
            throw error.blobStoreError
        }
    }
}
