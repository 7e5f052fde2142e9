#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM
import Foundation
import Logging

/// What a recovery pass found and did.
public struct RecoveryReport: Sendable, Equatable {
    /// Staged files of instances that were never acknowledged, removed.
    public var removedStagedFiles = 0
    /// Blobs with no catalog row (stored, then a crash before the catalog committed), now recorded.
    public var recataloged: Int { recorded.count }
    /// Those blobs, each with the instance it holds: what the audit trail is told.
    public var recorded: [RecordedBlob] = []

    public struct RecordedBlob: Sendable, Equatable {
        public let blob: BlobID
        public let sopInstanceUID: String
    }
    /// Blobs that could not be recorded: unreadable, or bytes that no longer match their name.
    public var unreadable: [BlobID] = []
    /// Catalog rows whose blob is gone: data loss to report loudly, never to paper over.
    public var missing: [BlobID] = []
    /// Series of an earlier catalog that now keep their first header for queries.
    public var queryHeadersKept = 0

    public init() {}
}

/// Brings the blob store and the catalog back into agreement after a crash, and
/// rebuilds a catalog from the blobs alone.
public struct Recovery: Sendable {
    public let ingestor: Ingestor
    let logger: Logger

    public init(ingestor: Ingestor, logger: Logger = Logger(label: "lifeboat.recovery")) {
        self.ingestor = ingestor
        self.logger = logger
    }

    /// Removes staged leftovers, records every blob the catalog lacks (oldest first, so
    /// versions keep their order) and reports catalog rows whose blob is missing. The
    /// comparison goes one shard (two hex digits) at a time so memory stays small.
    public func run(source: Provenance.Source = .recovered, expectingMissing: Bool = false) async throws -> RecoveryReport {
        var report = RecoveryReport()
        for name in try FileManager.default.contentsOfDirectory(atPath: ingestor.stagingDirectory) where !Self.belongsToALiveProcess(name) {
            try FileManager.default.removeItem(atPath: "\(ingestor.stagingDirectory)/\(name)")
            report.removedStagedFiles += 1
        }
        var orphans: [(modified: Date, id: BlobID)] = []
        for shard in Self.shards {
            let stored = Set(try await ingestor.blobs.list(prefix: shard))
            let cataloged = try await ingestor.catalog.blobs(withPrefix: shard)
            for id in stored.subtracting(cataloged) { orphans.append((modified(id), id)) }
            for id in cataloged.subtracting(stored).sorted() {
                report.missing.append(id)
                if !expectingMissing { logger.critical("a cataloged blob is missing from the blob store", metadata: ["blob": "\(id)"]) }
            }
        }
        for (modified, id) in orphans.sorted(by: { ($0.modified, $0.id) < ($1.modified, $1.id) }) {
            do {
                report.recorded.append(RecoveryReport.RecordedBlob(blob: id, sopInstanceUID: try await record(id, receivedAt: modified, source: source)))
            } catch {
                report.unreadable.append(id)
                logger.error("a blob cannot be recorded", metadata: ["blob": "\(id)", "error": "\(error)"])
            }
        }
        report.queryHeadersKept = try await keepQueryHeaders()
        if report != RecoveryReport() {
            logger.notice("recovery", metadata: ["staged files removed": "\(report.removedStagedFiles)", "recataloged": "\(report.recataloged)",
                                                 "unreadable": "\(report.unreadable.count)", "missing": "\(report.missing.count)",
                                                 "query headers kept": "\(report.queryHeadersKept)"])
        }
        return report
    }

    /// Gives series cataloged before query headers were kept (catalog migration 2) the
    /// header of their first instance. A blob that cannot be read leaves an empty header,
    /// so it is not tried at every start: its series answers the catalog's columns only.
    private func keepQueryHeaders() async throws -> Int {
        var kept = 0
        while true {
            let batch = try await ingestor.catalog.seriesWithoutQueryHeader(limit: 500)
            if batch.isEmpty { return kept }
            for (series, blob) in batch {
                let header = (try? await ingestor.blobs.readHeader(blob)).map { QueryHeader.encode($0.dataSet) } ?? []
                try await ingestor.catalog.keepQueryHeader(header, forSeries: series)
                kept += 1
            }
        }
    }

    /// Whether a staging folder is `<name>-<pid>` of a process that is still running.
    static func belongsToALiveProcess(_ name: String) -> Bool {
        guard let dash = name.lastIndex(of: "-"), let pid = pid_t(name[name.index(after: dash)...]), pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    static let shards: [String] = {
        let digits = Array("0123456789abcdef")
        return digits.flatMap { first in digits.map { "\(first)\($0)" } }
    }()

    private func modified(_ id: BlobID) -> Date {
        guard let path = ingestor.blobs.localPath(of: id),
              let date = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date else { return Date() }
        return date
    }

    /// Records a stored blob from its own header, after checking its bytes against its name;
    /// returns the SOP Instance UID it holds.
    @discardableResult
    public func record(_ id: BlobID, receivedAt: Date, source: Provenance.Source) async throws -> String {
        guard try await ingestor.blobs.verify(id) else { throw BlobStoreError.damaged(id) }
        let entry = try await entry(for: id, receivedAt: receivedAt, source: source)
        _ = try await ingestor.catalog.record([entry])
        return entry.attributes.sopInstanceUID
    }

    /// Records stored blobs whose bytes were checked against their names as they were
    /// stored (a restore hashes each on arrival), all in one catalog transaction; a blob
    /// whose header cannot be read is left out, with why.
    public func record(checked blobs: [(id: BlobID, receivedAt: Date)], source: Provenance.Source) async throws -> [BlobID: String] {
        var entries: [CatalogEntry] = [], unreadable: [BlobID: String] = [:]
        for (id, receivedAt) in blobs {
            do { entries.append(try await entry(for: id, receivedAt: receivedAt, source: source)) } catch { unreadable[id] = "\(error)" }
        }
        if !entries.isEmpty { _ = try await ingestor.catalog.record(entries) }
        return unreadable
    }

    /// What the catalog is told of a stored blob, from its own header.
    private func entry(for id: BlobID, receivedAt: Date, source: Provenance.Source) async throws -> CatalogEntry {
        let file = try await ingestor.blobs.readHeader(id)
        // A blob stored before ingest checked a data set whole may not be: it is recorded damaged.
        var problem: String?
        if let path = ingestor.blobs.localPath(of: id) {
            do { _ = try StructureCheck.read(path: path) } catch { problem = error.detail }
        }
        return CatalogEntry(attributes: try InstanceAttributes(file.dataSet), blob: id, size: try await ingestor.blobs.size(of: id),
                            transferSyntaxUID: file.transferSyntax.uid, provenance: Provenance(source: source, receivedAt: receivedAt),
                            queryHeader: QueryHeader.encode(file.dataSet), problem: problem)
    }
}
