#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import NIOCore

/// Bytes `offset..<offset+length` of a file, read a MiB at a time as an upload body: an
/// object of any size goes up in a small, fixed amount of memory. (Also the body of a
/// replication PUT to another Lifeboat.)
/// With `expectedSHA256`, the bytes are hashed as they go and the last chunk is only handed
/// over once they match: a file that is not what its name says never completes an upload.
public struct FileRange: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let path: String
    public let offset: Int
    public let length: Int
    public var expectedSHA256: [UInt8]?

    public init(path: String, offset: Int, length: Int, expectedSHA256: [UInt8]? = nil) {
        self.path = path
        self.offset = offset
        self.length = length
        self.expectedSHA256 = expectedSHA256
    }

    static let chunk = 1 << 20

    /// The size of the file at `path`.
    public static func size(of path: String) throws(S3Error) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw S3Error(status: nil, code: "LocalFile", message: "cannot read \(path): \(String(cString: strerror(errno)))") }
        return Int(info.st_size)
    }

    /// The SHA-256 of the range, read once through.
    func sha256() async throws -> [UInt8] {
        var hasher = SHA256()
        for try await buffer in self { buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return Array(hasher.finalize())
    }

    public func makeAsyncIterator() -> Iterator { Iterator(range: self) }

    public final class Iterator: AsyncIteratorProtocol {
        let range: FileRange
        var position: Int
        var fd: Int32 = -1
        var hasher = SHA256()

        init(range: FileRange) {
            self.range = range
            position = range.offset
        }

        deinit { if fd >= 0 { close(fd) } }

        public func next() async throws -> ByteBuffer? {
            let end = range.offset + range.length
            guard position < end else { return nil }
            if fd < 0 {
                fd = open(range.path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw S3Error(status: nil, code: "LocalFile", message: "cannot open \(range.path): \(String(cString: strerror(errno)))") }
            }
            let wanted = Swift.min(FileRange.chunk, end - position)
            var buffer = ByteBufferAllocator().buffer(capacity: wanted)
            var failure: Int32 = 0
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { free in
                let count = pread(fd, free.baseAddress!, wanted, off_t(position))
                if count < 0 { failure = errno }
                return Swift.max(count, 0)
            }
            guard got > 0 else {
                throw S3Error(status: nil, code: "LocalFile", message: failure == 0 ? "\(range.path) is shorter than it was" : "cannot read \(range.path): \(String(cString: strerror(failure)))")
            }
            position += got
            if let expected = range.expectedSHA256 {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                if position >= end, Array(hasher.finalize()) != expected {
                    throw S3Error(status: nil, code: S3Error.localChecksumMismatch,
                                  message: "\(range.path) does not match its SHA-256: the upload is abandoned before its last byte")
                }
            }
            return buffer
        }
    }
}
