#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: what was attempted and the errno it gave.
struct SystemCallError: Error, CustomStringConvertible {
    let what: String
    let code: Int32

    init(_ what: String, code: Int32 = errno) {
        self.what = what
        self.code = code
    }

    var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }
    var description: String { "\(what): \(String(cString: strerror(code)))" }

    var blobStoreError: BlobStoreError { isOutOfSpace ? .outOfSpace(description) : .failed(description) }
}

enum SystemCalls {
    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let wrote = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("cannot write \(path)")
            }
            done += wrote
        }
    }

    /// fsync of a file or a directory by path: for a directory, this makes the names in it
    /// durable (a rename or link into it survives a crash).
    static func fsync(path: String, directory: Bool = false) throws(SystemCallError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard fd >= 0 else { throw SystemCallError("cannot open \(path)") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw SystemCallError("cannot fsync \(path)") }
    }

    static func makeDirectory(_ path: String) throws(SystemCallError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemCallError("cannot create \(path)") }
    }

    /// The names in a directory, "." and ".." left out; empty if it does not exist.
    static func names(in path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw SystemCallError("cannot list \(path)")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func fileSize(_ path: String) throws(SystemCallError) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw SystemCallError("cannot stat \(path)")
        }
        return Int(info.st_size)
    }
}
