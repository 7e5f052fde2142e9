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
    /// Copies the file at `source` to `path` as `replace` writes, a MiB at a time whatever its size.
    public static func copy(_ source: String, to path: String, staging: String) throws(BlobStoreError) {
        try install(path, staging: staging) { output, temporary throws(SystemCallError) in
            let input = open(source, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw SystemCallError("cannot open \(source)") }
            defer { close(input) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
                if got < 0 && errno == EINTR { continue }
                guard got >= 0 else { throw SystemCallError("cannot read \(source)") }
                if got == 0 { return }
                try write(Array(buffer[..<got]), to: output, temporary)
            }
        }
    }

    /// Flushes a file already written (a download) and renames it to `path` on the same file
    /// system, then flushes the directory: after a crash `path` is either absent or whole.
    public static func move(_ source: String, to path: String) throws(BlobStoreError) {
        do throws(SystemCallError) {
            try SystemCalls.fsync(path: source)
            try publish(source, as: path)
        } catch {
            throw error.blobStoreError
        }
    }

    /// Writes `bytes` to a new file in `staging` (on the same file system), flushes it,
    /// renames it over `path` and flushes `path`'s directory.
    public static func replace(_ path: String, with bytes: [UInt8], staging: String) throws(BlobStoreError) {
        try install(path, staging: staging) { output, temporary throws(SystemCallError) in try write(bytes, to: output, temporary) }
    }

    /// A new file in `staging` filled by `fill`, flushed, renamed over `path`, and `path`'s
    /// directory flushed; on any failure the new file is removed and `path` is as it was.
    private static func install(_ path: String, staging: String,
                                fill: (Int32, String) throws(SystemCallError) -> Void) throws(BlobStoreError) {
        let temporary = "\(staging)/\(UUID().uuidString).tmp"
        do throws(SystemCallError) {
            let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw SystemCallError("cannot create \(temporary)") }
            do {
                defer { close(output) }
                try fill(output, temporary)
                guard fsync(output) == 0 else { throw SystemCallError("cannot fsync \(temporary)") }
            }
            try publish(temporary, as: path)
        } catch {
            unlink(temporary)
            throw error.blobStoreError
        }
    }

    /// rename(2) of a flushed file to `path`, then `path`'s directory flushed, so the new name survives a crash.
    private static func publish(_ source: String, as path: String) throws(SystemCallError) {
        guard rename(source, path) == 0 else { throw SystemCallError("cannot rename \(source) to \(path)") }
        try SystemCalls.fsync(path: (path as NSString).deletingLastPathComponent, directory: true)
    }

    private static func write(_ bytes: [UInt8], to fd: Int32, _ path: String) throws(SystemCallError) {
        var failure: SystemCallError?
        bytes.withUnsafeBytes { raw in
            do throws(SystemCallError) { try SystemCalls.writeAll(fd, raw, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
