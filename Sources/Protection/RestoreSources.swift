import Archive
import Foundation
import Logging
import Replication

/// What a target says beyond its newest catalog snapshot, read so that the cost does not
/// grow with the archive:
/// - the change log's segments named after the snapshot's moment (`changes/<time>-<n>.jsonl`,
///   listed from that key on): every version the target confirmed since;
/// - the study manifests modified since then (listed, then read only where newer): what the
///   last minute's change log had not shipped yet.
/// A drill reads the change log the same way, and times it.
public struct RestoreSources: Sendable {
    let target: any ReadableTarget
    let asOf: Date?
    /// Files read at once: a day's change log is up to a segment a minute.
    let concurrency: Int
    let logger: Logger

    public init(target: any ReadableTarget, asOf: Date?, concurrency: Int = 8, logger: Logger = Logger(label: "lifeboat.restore")) {
        self.target = target
        self.asOf = asOf
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// Segments and manifests written this long before a snapshot's name are read too: a
    /// snapshot is named a moment before it is taken, and a clock may be stepped back. It
    /// decides only the order: whatever a clock stepped further back hides here comes back
    /// with the blobs no list named, recorded from their headers.
    static let margin: TimeInterval = 120

    /// The key a listing starts after to find what came since `moment` (everything when nil).
    static func startKey(_ folder: String, since moment: Date?) -> String? {
        moment.map { folder + TargetLayout.timeName($0.addingTimeInterval(-margin)) }
    }

    /// Every change-log line of the segments written since `moment` (all of them when nil),
    /// received by `asOf`; a line that cannot be read is passed over with a warning.
    public func changes(since moment: Date?) async throws -> [CatalogChange] {
        var changes: [CatalogChange] = []
        let segments = try await target.files(under: "changes/", asOf: asOf, after: Self.startKey("changes/", since: moment)).filter { $0.key.hasSuffix(".jsonl") }
        for (file, data) in zip(segments, try await contents(of: segments)) {
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let change = try? JSONDecoder().decode(CatalogChange.self, from: Data(line)) else {
                    logger.warning("a change log line cannot be read; its instance comes back from the manifests or the blobs", metadata: ["segment": "\(file.key)"])
                    continue
                }
                if let asOf, let received = Self.time(change.receivedAt), received > asOf { continue }
                changes.append(change)
            }
        }
        return changes
    }

    /// The study manifests the target held at `asOf`, those modified before `moment` left
    /// unread (all of them when nil); one that cannot be read is passed over with a warning
    /// (its instances come back from the change log or the blobs).
    func manifests(modifiedSince moment: Date? = nil) async throws -> [StudyManifest] {
        let since = moment?.addingTimeInterval(-Self.margin)
        var manifests: [StudyManifest] = []
        for file in try await target.files(under: "studies/", asOf: asOf) where file.key.hasSuffix(".json") {
            if let since, let modified = file.modified, modified < since { continue }
            guard var manifest = try? JSONDecoder().decode(StudyManifest.self, from: try await contents(of: file)) else {
                logger.warning("a manifest cannot be read; its instances come back from the change log or the blobs", metadata: ["manifest": "\(file.key)"])
                continue
            }
            if let asOf { manifest.instances.removeAll { Self.time($0.receivedAt).map { $0 > asOf } ?? false } }
            manifests.append(manifest)
        }
        return manifests
    }

    static func time(_ text: String) -> Date? { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) }

    /// Small files' bytes in their order, `concurrency` read at once.
    func contents(of files: [TargetFile]) async throws -> [Data] {
        try await withThrowingTaskGroup(of: (Int, Data).self) { group in
            var read = [Data](repeating: Data(), count: files.count), next = 0
            func start() {
                guard next < files.count else { return }
                let index = next
                next += 1
                group.addTask { (index, try await contents(of: files[index])) }
            }
            for _ in 0..<concurrency { start() }
            while let (index, data) = try await group.next() {
                read[index] = data
                start()
            }
            return read
        }
    }

    /// A small file's bytes (a manifest, a change log segment), read through a scratch file.
    func contents(of file: TargetFile) async throws -> Data {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-restore-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await target.read(file, to: scratch)
        return FileManager.default.contents(atPath: scratch) ?? Data()
    }
}

extension RestoreItem {
    /// A version the change log names, put in its turn like a cataloged one.
    init?(_ change: CatalogChange) {
        guard let blob = BlobID(hex: change.sha256), let received = RestoreSources.time(change.receivedAt) else { return nil }
        self.init(blob: blob, size: change.size, studyInstanceUID: change.studyInstanceUID, patientID: change.patientID,
                  receivedAt: received, studyLastReceivedAt: received)
    }

    /// A version a study manifest names.
    init?(_ instance: StudyManifest.Instance, of manifest: StudyManifest) {
        guard let blob = BlobID(hex: instance.sha256), let received = RestoreSources.time(instance.receivedAt) else { return nil }
        self.init(blob: blob, size: instance.size, studyInstanceUID: manifest.studyInstanceUID, patientID: manifest.patientID,
                  receivedAt: received, studyLastReceivedAt: RestoreSources.time(manifest.lastReceivedAt) ?? received)
    }
}
