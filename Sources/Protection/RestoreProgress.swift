import Foundation

extension Restorer {
    /// Where a restore stands: the catalog, then the newest day's blobs (with the named
    /// patients' and studies'), then everything else, then blobs no list named.
    public enum Phase: String, Sendable, Codable {
        case catalog, recent, rest, stragglers
    }

    /// How far one part of the restore is: the newest day (with `--first`), or everything.
    public struct Part: Sendable, Equatable, Codable {
        public var done = 0
        public var total = 0
        public var bytes = 0
        public var totalBytes = 0
        /// Seconds from the start of the restore to when the last of the part was back.
        public var finishedAfter: TimeInterval?

        public init() {}

        /// Seconds left at the rate since the blobs began to come (`fetching` seconds ago):
        /// by count and by bytes, whichever says longer — small blobs cost their requests,
        /// large ones their bytes.
        public func estimate(fetching seconds: TimeInterval) -> TimeInterval? {
            guard done > 0, seconds > 0 else { return nil }
            let byCount = Double(max(0, total - done)) * seconds / Double(done)
            let byBytes = bytes > 0 ? Double(max(0, totalBytes - bytes)) * seconds / Double(bytes) : 0
            return max(byCount, byBytes)
        }

        mutating func count(_ size: Int, fetched: Bool, at elapsed: TimeInterval) {
            done += 1
            if fetched { bytes += size } else { totalBytes -= size } // already here: not part of the rate
            if done >= total { finishedAfter = finishedAfter ?? elapsed }
        }
    }

    public struct Progress: Sendable {
        public var phase: Phase
        public var recent: Part
        public var whole: Part
        /// Seconds since the restore began, and since its blobs began to come.
        public var elapsed: TimeInterval
        public var fetching: TimeInterval
    }

    public struct Report: Sendable, Codable {
        public var target = ""
        public var startedAt = Date()
        /// The snapshot the catalog came from, or nil when there was none (manifests only).
        public var snapshot: String?
        /// Seconds until the catalog answered queries (the snapshot in place).
        public var catalogAfter: TimeInterval = 0
        /// Instances the change log and the manifests list beyond the snapshot, recorded from their own headers.
        public var beyondSnapshot = 0
        public var restored = 0
        public var alreadyHere = 0
        public var bytes = 0
        /// Blobs at the target that no manifest or snapshot named, recorded from their headers.
        public var stragglers = 0
        /// The newest day's versions (with the named patients' and studies'), and the whole:
        /// each part's `finishedAfter` is the recovery time achieved for it.
        public var recent = Part()
        public var whole = Part()
        public var seconds: TimeInterval = 0
        /// Versions not brought back: what went wrong with each.
        public var failed: [String] = []
        /// Versions in the restored catalog.
        public var versions = 0

        public init() {}
        public var recentVersions: Int { recent.total }
        public var recentBackAfter: TimeInterval? { recent.finishedAfter }
    }

    /// Each run's report, a JSON line in the data directory: what the operations page shows
    /// of the restore that made the archive (a resumed restore adds a line).
    public static func reportsPath(in root: String) -> String { root + "/restores.jsonl" }

    public static func reports(in root: String) -> [Report] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (FileManager.default.contents(atPath: reportsPath(in: root)) ?? Data()).split(separator: UInt8(ascii: "\n")).compactMap {
            try? decoder.decode(Report.self, from: Data($0))
        }
    }

    func append(_ report: Report) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        let path = Self.reportsPath(in: root)
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: try encoder.encode(report) + Data("\n".utf8))
    }
}
