#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file open for reading with `pread`, so that skipping a value costs nothing.
/// A read that leaves values in the file keeps it open: they stay readable even if the
/// file is renamed or unlinked meanwhile.
public final class OpenFile: Sendable, Equatable {
    /// The path it was opened by, for messages.
    public let path: String
    public let size: Int
    let fd: Int32

    public convenience init(path: String) throws(DICOMError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw DICOMError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        try self.init(owning: fd, path: path)
    }

    /// Reads through a duplicate of `descriptor` (which the caller keeps), from the
    /// file's start whatever its current position.
    public convenience init(duplicating descriptor: Int32, name: String) throws(DICOMError) {
        let fd = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        if fd < 0 { throw DICOMError(.io, "cannot duplicate the descriptor of \(name): \(String(cString: strerror(errno)))") }
        try self.init(owning: fd, path: name)
    }

    private init(owning fd: Int32, path: String) throws(DICOMError) {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DICOMError(.io, "\(path) is not a regular file")
        }
        self.fd = fd
        self.path = path
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    public static func == (lhs: OpenFile, rhs: OpenFile) -> Bool { lhs === rhs }

    /// Asks the kernel to start reading the whole file into the page cache now, so that a
    /// stream of files overlaps each one's disk reads with sending the one before.
    public func willNeed() {
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_WILLNEED))
        #endif
    }

    /// Up to `count` bytes at `offset`; fewer only at the end of the file.
    public func read(at offset: Int, upTo count: Int) throws(DICOMError) -> [UInt8] {
        let wanted = max(0, min(count, size - offset))
        if wanted == 0 { return [] }
        var failure: DICOMError?
        let result = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
            do throws(DICOMError) {
                initialized = try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return result
    }

    /// Fills `buffer` from `offset` — less only at the end of the file — and says how many
    /// bytes it read: for callers that read into memory of their own, without a copy.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(DICOMError) -> Int {
        let wanted = max(0, min(buffer.count, size - offset))
        var done = 0
        while done < wanted {
            let got = pread(fd, buffer.baseAddress! + done, wanted - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw DICOMError(.io, offset: offset, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            done += got
        }
        return done
    }
}
