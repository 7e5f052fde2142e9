#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The size and free space of the file system holding a path (statvfs).
public struct DiskSpace: Sendable, Equatable {
    public var totalBytes: Int64
    /// What an unprivileged process may still write.
    public var availableBytes: Int64

    public var availablePercent: Double { totalBytes > 0 ? Double(availableBytes) * 100 / Double(totalBytes) : 0 }

    public init(totalBytes: Int64, availableBytes: Int64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }

    public init?(of path: String) {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        self.init(totalBytes: Int64(stats.f_blocks) * Int64(stats.f_frsize), availableBytes: Int64(stats.f_bavail) * Int64(stats.f_frsize))
    }
}
