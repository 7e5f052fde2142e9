import Foundation

/// One node's archive in a data directory: `blobs/` (the Part 10 files, named by SHA-256),
/// `tmp/` (staging, same file system) and `catalog.sqlite`.
public struct LocalArchive: Sendable {
    public let root: String
    public let blobs: LocalBlobStore
    public let catalog: Catalog
    public let ingestor: Ingestor

    public static func catalogPath(in root: String) -> String { root + "/catalog.sqlite" }

    /// Opens (creating if need be) the archive in `root`. Call `recover()` before serving.
    /// Another process working on the same archive beside the server (`lifeboat import`)
    /// stages in a folder of its own, `tmp/<stagingFolder>-<pid>`, which a starting server's
    /// recovery leaves alone while that process lives.
    public init(root: String, stagingFolder: String? = nil) throws {
        self.root = root
        blobs = try LocalBlobStore(root: root)
        catalog = try Catalog(path: Self.catalogPath(in: root))
        var staging = blobs.stagingDirectory
        if let stagingFolder {
            staging += "/\(stagingFolder)-\(getpid())"
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        }
        ingestor = Ingestor(blobs: blobs, catalog: catalog, stagingDirectory: staging)
    }

    /// Brings blobs and catalog back into agreement after a crash. `expectingMissing` (a
    /// restore under way) counts cataloged blobs not yet here without a critical line each.
    public func recover(expectingMissing: Bool = false) async throws -> RecoveryReport {
        try await Recovery(ingestor: ingestor).run(expectingMissing: expectingMissing)
    }

    /// Builds a new catalog from the blobs alone. The old catalog, if any, is kept beside
    /// it as `catalog.sqlite.replaced-<time>`, never deleted. Returns the report and
    /// where the old catalog went.
    public static func rebuildCatalog(in root: String) async throws -> (RecoveryReport, String?) {
        let path = catalogPath(in: root)
        var movedTo: String?
        if FileManager.default.fileExists(atPath: path) {
            let stamp = Date().ISO8601Format(.iso8601(timeZone: .gmt).year().month().day().time(includingFractionalSeconds: false).timeSeparator(.omitted).timeZoneSeparator(.omitted))
            let target = "\(path).replaced-\(stamp)"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.moveItem(atPath: path + suffix, toPath: target + suffix)
            }
            movedTo = target
        }
        let archive = try LocalArchive(root: root)
        return (try await Recovery(ingestor: archive.ingestor).run(source: .rebuild), movedTo)
    }
}
