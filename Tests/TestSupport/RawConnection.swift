#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A plain TCP client for sending a server bytes no well-behaved peer would.
public final class RawConnection {
    private let fd: Int32

    /// Connects to `port` on `destination` from `source` (any 127.x.y.z: each is another
    /// address to the server, as another machine would be).
    public init(port: Int, from source: String = "127.0.0.1", to destination: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Subprocess.Failure(description: "cannot bind to \(source)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(destination)
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Subprocess.Failure(description: "cannot connect to port \(port)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Whether the server has closed the connection within `milliseconds` (and sent nothing).
    public func isClosed(within milliseconds: Int) -> Bool {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: __suseconds_t(milliseconds % 1000 * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    public func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// No more from this side (the peer sees end of stream).
    public func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes the connection; nil if it has not
    /// closed within 20 seconds.
    public func readUntilClosed() -> [UInt8]? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return received }
            if count < 0 { return errno == EINTR ? received : nil }
            received += buffer[0..<count]
        }
    }

    /// The same, off the cooperative pool.
    public func readUntilClosed() async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.readUntilClosed() as [UInt8]?) }
        }
    }
}

extension RawConnection: @unchecked Sendable {}
// @unchecked: used by one test at a time; the descriptor is only read after init.
