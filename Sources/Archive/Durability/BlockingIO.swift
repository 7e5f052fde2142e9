import NIOPosix

/// Threads for calls that block (fsync, reads of large files, SQLite), so that they never
/// hold up Swift's cooperative pool, which has one thread per core. Concurrent fsyncs
/// on these threads are what lets the file system merge them into one journal commit.
enum BlockingIO {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    static func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
