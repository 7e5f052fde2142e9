import DICOM
import DICOMNetwork
import Logging
import NIOCore

/// What became of an instance that was accepted.
public enum IngestResult: Sendable, Equatable {
    case stored
    /// Known UID, other bytes: kept as this version beside the earlier ones.
    case newVersion(Int)
    /// Known UID, same bytes: nothing new stored.
    case duplicate(version: Int)
}

/// The ingest pipeline behind C-STORE and `lifeboat import`: a staged file is read
/// (header only), checked, made durable in the blob store and recorded in the catalog —
/// and only then is it reported stored (zero-loss invariant 1). Catalog records of
/// concurrent instances share one transaction, so one fsync serves them all.
public struct Ingestor: Sendable {
    public let blobs: any BlobStore
    public let catalog: Catalog
    public let stagingDirectory: String
    let logger: Logger
    private let recorder: GroupCommit<CatalogEntry, RecordOutcome>
    /// In synchronous replication mode: what must confirm copies at other sites before an
    /// instance is answered stored (zero-loss invariant 1).
    public var quorum: (any ReplicaQuorum)?

    public init(blobs: any BlobStore, catalog: Catalog, stagingDirectory: String, logger: Logger = Logger(label: "lifeboat.ingest")) {
        self.blobs = blobs
        self.catalog = catalog
        self.stagingDirectory = stagingDirectory
        self.logger = logger
        recorder = GroupCommit { entries in
            do {
                return try await catalog.record(entries).map { .success($0) }
            } catch {
                guard entries.count > 1 else { return [.failure(error)] }
                // One entry may spoil a batch: record them one by one so only it fails.
                var results: [Result<RecordOutcome, any Error>] = []
                for entry in entries {
                    do { results.append(.success(try await catalog.record([entry])[0])) } catch { results.append(.failure(error)) }
                }
                return results
            }
        }
    }

    /// What the instance must be: the C-STORE request's SOP class and instance.
    public struct Expectation: Sendable {
        public var sopClassUID: String
        public var sopInstanceUID: String
        public init(sopClassUID: String, sopInstanceUID: String) {
            self.sopClassUID = sopClassUID
            self.sopInstanceUID = sopInstanceUID
        }
    }

    /// Ingests a staged Part 10 file; the staged file is consumed either way. Throws a
    /// `ServiceError` carrying the DIMSE status to answer (PS3.4 B.2.3). A data set that is
    /// not whole (`StructureCheck`) is refused — unless `keepingDamaged`: then, if its header
    /// can be read, it is kept as a damaged version, which never hides an intact one.
    public func ingest(_ staged: StagedBlob, expecting expected: Expectation?, provenance: Provenance,
                       keepingDamaged: Bool = false) async throws(ServiceError) -> IngestResult {
        let entry: CatalogEntry
        do {
            entry = try catalogEntry(for: staged, expecting: expected, provenance: provenance, keepingDamaged: keepingDamaged)
        } catch {
            staged.discard()
            logger.warning("refused", metadata: ["instance": "\(expected?.sopInstanceUID ?? "")", "from": "\(provenance.callingAETitle)",
                                                 "source": "\(provenance.peerAddress)", "status": "\(error.outcome.status)",
                                                 "reason": "\(error.detail)"])
            throw ServiceError(error.outcome.status, error.outcome.errorComment ?? "")
        }
        if let problem = entry.problem {
            logger.warning("kept as damaged, as asked", metadata: ["instance": "\(entry.attributes.sopInstanceUID)", "problem": "\(problem)"])
        }
        let uid = entry.attributes.sopInstanceUID
        // A repeat is recognised when it is recorded: looking it up first would cost every
        // instance a catalog read for the sake of the rare duplicate.
        do {
            _ = try await blobs.put(staged)
        } catch {
            logger.error("blob store failed", metadata: ["instance": "\(uid)", "error": "\(error)"])
            throw ServiceError(.outOfResources, Self.outward(error))
        }
        let outcome: RecordOutcome
        do {
            outcome = try await recorder.submit(entry)
        } catch {
            // The blob is durable but unrecorded: recovery at the next start records it.
            logger.error("catalog failed", metadata: ["instance": "\(uid)", "error": "\(error)"])
            throw ServiceError(.outOfResources, "the catalog could not record it; see the server log")
        }
        // Durable here; in synchronous mode it must be durable elsewhere too before it is
        // answered stored. (A failure leaves it stored here: a retry is a duplicate.)
        try await quorum?.confirm(staged.id, sopInstanceUID: uid)
        let metadata: Logger.Metadata = ["instance": "\(uid)", "blob": "\(staged.id)", "bytes": "\(staged.size)", "from": "\(provenance.callingAETitle)"]
        switch outcome {
        case .stored:
            logger.info("stored", metadata: metadata)
            return .stored
        case .newVersion(let number):
            logger.notice("stored as a new version: other bytes under a known SOP Instance UID", metadata: metadata.merging(["version": "\(number)"]) { $1 })
            return .newVersion(number)
        case .duplicate(let number):
            logger.info("duplicate", metadata: metadata.merging(["version": "\(number)"]) { $1 })
            return .duplicate(version: number)
        }
    }

    /// What a sender is told when the archive's own storage fails: what happened, never where
    /// (the server log has the path and the system's error).
    static func outward(_ error: BlobStoreError) -> String {
        if case .outOfSpace = error { return "out of space: the instance was not stored" }
        return "the archive cannot store it now; see the server log"
    }

    /// Why a staged instance is refused: the status and Error Comment to answer, and the
    /// whole story for the log.
    struct Refusal: Error {
        let outcome: ServiceOutcome
        let detail: String

        init(_ status: DIMSEStatus, _ comment: String, detail: String? = nil) {
            outcome = ServiceOutcome(status: status, errorComment: comment)
            self.detail = detail ?? comment
        }
    }

    /// Reads the staged file to its end and checks it is whole and is what it must be.
    private func catalogEntry(for staged: StagedBlob, expecting expected: Expectation?, provenance: Provenance,
                              keepingDamaged: Bool) throws(Refusal) -> CatalogEntry {
        var file: DICOMFile
        var damage: String?
        do {
            // A few reads of what was just written, from the page cache; large values are skipped over.
            file = try StructureCheck.read(path: staged.path)
        } catch {
            // PS3.4 B.2.3: C000, cannot understand — nothing that is not whole is acknowledged.
            guard keepingDamaged, let header = try? DICOMFile(path: staged.path, options: .headerOnly) else {
                throw Refusal(.cannotUnderstand, error.summary, detail: error.detail)
            }
            file = header
            damage = error.detail
        }
        let attributes: InstanceAttributes
        do {
            attributes = try InstanceAttributes(file.dataSet)
        } catch {
            throw Refusal(.cannotUnderstand, error.message)
        }
        if let expected {
            // PS3.4 B.2.3: A900 for a data set that is not of the SOP class it was sent as.
            guard attributes.sopClassUID == expected.sopClassUID else {
                // The Error Comment is an LO of 64 characters at most (PS3.7 C.4.2.1.4): the UID first.
                throw Refusal(.dataSetDoesNotMatchSOPClass, "data set SOP Class UID is \(attributes.sopClassUID)")
            }
            guard attributes.sopInstanceUID == expected.sopInstanceUID else {
                throw Refusal(.cannotUnderstand, "data set SOP Instance UID is \(attributes.sopInstanceUID)")
            }
        }
        return CatalogEntry(attributes: attributes, blob: staged.id, size: staged.size, transferSyntaxUID: file.transferSyntax.uid,
                            provenance: provenance, queryHeader: QueryHeader.encode(file.dataSet), problem: damage)
    }
}

/// Synchronous replication (the Replication library's `SyncQuorum`): waits until a blob is
/// durable at enough other sites.
public protocol ReplicaQuorum: Sendable {
    /// Returns once `blob` is confirmed at the quorum; otherwise throws the `ServiceError` to
    /// answer (or returns anyway, when the policy is to accept and alert).
    func confirm(_ blob: BlobID, sopInstanceUID: String) async throws(ServiceError)
}

extension Ingestor: StoreProvider {
    public func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        let header: [UInt8]
        do {
            header = try BlobHeader.bytes(sopClassUID: request.sopClassUID, sopInstanceUID: request.sopInstanceUID,
                                          transferSyntaxUID: request.transferSyntaxUID)
        } catch {
            throw ServiceError(.cannotUnderstand, "the request's UIDs cannot make a file meta group: \(error)")
        }
        let staging: StagingFile
        do {
            staging = try StagingFile(in: stagingDirectory)
        } catch {
            logger.error("cannot stage an instance", metadata: ["instance": "\(request.sopInstanceUID)", "error": "\(error)"])
            throw ServiceError(.outOfResources, Self.outward(error))
        }
        do {
            try staging.write(header)
        } catch {
            // Nothing is left behind, not even an empty file.
            staging.discard()
            logger.error("cannot stage an instance", metadata: ["instance": "\(request.sopInstanceUID)", "error": "\(error)"])
            throw ServiceError(.outOfResources, Self.outward(error))
        }
        return IngestSink(ingestor: self, staging: staging, request: request)
    }
}

/// One C-STORE data set on its way in: staged as it arrives, ingested when complete.
final class IngestSink: StoreSink {
    let ingestor: Ingestor
    let staging: StagingFile
    let request: StoreRequest

    init(ingestor: Ingestor, staging: StagingFile, request: StoreRequest) {
        self.ingestor = ingestor
        self.staging = staging
        self.request = request
    }

    func write(_ fragment: ByteBuffer) async throws {
        do {
            try fragment.withUnsafeReadableBytes { raw throws(BlobStoreError) in try staging.write(raw) }
        } catch {
            ingestor.logger.error("cannot stage an instance", metadata: ["instance": "\(request.sopInstanceUID)", "error": "\(error)"])
            throw ServiceError(.outOfResources, Ingestor.outward(error))
        }
    }

    func finish() async -> ServiceOutcome {
        let staged: StagedBlob
        do {
            staged = try staging.finish()
        } catch {
            ingestor.logger.error("cannot stage an instance", metadata: ["instance": "\(request.sopInstanceUID)", "error": "\(error)"])
            return ServiceOutcome(status: .outOfResources, errorComment: Ingestor.outward(error))
        }
        let provenance = Provenance(source: .dimse, callingAETitle: request.callingAETitle.value, calledAETitle: request.calledAETitle.value,
                                    peerAddress: request.peerAddress)
        do {
            _ = try await ingestor.ingest(staged, expecting: .init(sopClassUID: request.sopClassUID, sopInstanceUID: request.sopInstanceUID),
                                          provenance: provenance)
            return .success
        } catch {
            return error.outcome
        }
    }

    func cancel() async { staging.discard() }
}
