#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the writer puts bytes.
public protocol ByteSink: AnyObject {
    func write(_ bytes: ArraySlice<UInt8>) throws(DICOMError)
    /// Called once after the last write.
    func finish() throws(DICOMError)
}

/// Collects the bytes in memory.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: ArraySlice<UInt8>) { self.bytes.append(contentsOf: bytes) }
    public func finish() {}
}

/// Writes to an open file descriptor; durability (fsync) is the caller's business.
public final class FileSink: ByteSink {
    private let fd: Int32
    private let path: String

    public init(fileDescriptor: Int32, path: String) {
        fd = fileDescriptor
        self.path = path
    }

    public func write(_ bytes: ArraySlice<UInt8>) throws(DICOMError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let wrote = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if wrote < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += wrote
            }
        }
        if failure != 0 { throw DICOMError(.io, "cannot write \(path): \(String(cString: strerror(failure)))") }
    }

    public func finish() {}
}

/// Deflates what it is given into another sink (PS3.5 A.5).
final class DeflatingSink: ByteSink {
    private let target: ByteSink
    private let deflater: Deflater

    init(into target: ByteSink) throws(DICOMError) {
        self.target = target
        deflater = try Deflater()
    }

    func write(_ bytes: ArraySlice<UInt8>) throws(DICOMError) {
        try target.write(try deflater.deflate(Array(bytes), finish: false)[...])
    }

    func finish() throws(DICOMError) {
        try target.write(try deflater.deflate([], finish: true)[...])
        try target.finish()
    }
}
