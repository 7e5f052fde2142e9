import DICOM
import Logging

/// What became of an instance that was accepted.
public enum IngestResult: Sendable, Equatable {
    case stored
    /// Known UID, other bytes: kept as this version beside the earlier ones.
    case newVersion(Int)
    /// Known UID, same bytes: nothing new stored.
    case duplicate(version: Int)
}

/// An accepted instance: what became of it, and where it belongs.
public struct IngestReceipt: Sendable, Equatable {
    public var result: IngestResult
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
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

    /// What the instance must be: the C-STORE request's SOP class and instance (or a Part
    /// 10 file's meta group's), and for a STOW-RS to a study's path, that study.
    public struct Expectation: Sendable {
        public var sopClassUID: String
        public var sopInstanceUID: String
        public var studyInstanceUID: String?
        public init(sopClassUID: String, sopInstanceUID: String, studyInstanceUID: String? = nil) {
            self.sopClassUID = sopClassUID
            self.sopInstanceUID = sopInstanceUID
            self.studyInstanceUID = studyInstanceUID
        }
    }

    /// Ingests a staged Part 10 file; the staged file is consumed either way. Throws an
    /// `IngestError` saying why it was not stored. A data set that is
    /// not whole (`StructureCheck`) is refused — unless `keepingDamaged`: then, if its header
    /// can be read, it is kept as a damaged version, which never hides an intact one.
    public func ingest(_ staged: StagedBlob, expecting expected: Expectation?, provenance: Provenance,
                       keepingDamaged: Bool = false) async throws(IngestError) -> IngestResult {
        try await ingestInstance(staged, expecting: expected, provenance: provenance, keepingDamaged: keepingDamaged).result
    }

    /// `ingest`, saying also what the instance was: for an answer that names its study and series.
    func ingestInstance(_ staged: StagedBlob, expecting expected: Expectation?, provenance: Provenance,
                        keepingDamaged: Bool = false) async throws(IngestError) -> IngestReceipt {
        let entry: CatalogEntry
        do {
            entry = try catalogEntry(for: staged, expecting: expected, provenance: provenance, keepingDamaged: keepingDamaged)
        } catch {
            staged.discard()
            logger.warning("refused", metadata: ["instance": "\(expected?.sopInstanceUID ?? "")", "from": "\(provenance.callingAETitle)",
                                                 "source": "\(provenance.peerAddress)", "code": "\(error.error.code)",
                                                 "reason": "\(error.detail)"])
            throw error.error
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
            throw IngestError(storing: error)
        }
        let outcome: RecordOutcome
        do {
            outcome = try await recorder.submit(entry)
        } catch {
            // The blob is durable but unrecorded: recovery at the next start records it.
            logger.error("catalog failed", metadata: ["instance": "\(uid)", "error": "\(error)"])
            throw IngestError(.storageFailed, "the catalog could not record it; see the server log")
        }
        // Durable here; in synchronous mode it must be durable elsewhere too before it is
        // answered stored. (A failure leaves it stored here: a retry is a duplicate.)
        try await quorum?.confirm(staged.id, sopInstanceUID: uid)
        let metadata: Logger.Metadata = ["instance": "\(uid)", "blob": "\(staged.id)", "bytes": "\(staged.size)", "from": "\(provenance.callingAETitle)"]
        let result: IngestResult
        switch outcome {
        case .stored:
            logger.info("stored", metadata: metadata)
            result = .stored
        case .newVersion(let number):
            logger.notice("stored as a new version: other bytes under a known SOP Instance UID", metadata: metadata.merging(["version": "\(number)"]) { $1 })
            result = .newVersion(number)
        case .duplicate(let number):
            logger.info("duplicate", metadata: metadata.merging(["version": "\(number)"]) { $1 })
            result = .duplicate(version: number)
        }
        return IngestReceipt(result: result, studyInstanceUID: entry.attributes.studyInstanceUID, seriesInstanceUID: entry.attributes.seriesInstanceUID)
    }

    /// Why a staged instance is refused: what the sender is told, and the whole story for the log.
    struct Refusal: Error {
        let error: IngestError
        let detail: String

        init(_ code: IngestError.Code, _ message: String, detail: String? = nil) {
            error = IngestError(code, message)
            self.detail = detail ?? message
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
            // Nothing that is not whole is acknowledged.
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
            // Not of the SOP class it was sent as (PS3.4 B.2.3 answers A900).
            guard attributes.sopClassUID == expected.sopClassUID else {
                // The Error Comment is an LO of 64 characters at most (PS3.7 C.4.2.1.4): the UID first.
                throw Refusal(.sopClassMismatch, "data set SOP Class UID is \(attributes.sopClassUID)")
            }
            guard attributes.sopInstanceUID == expected.sopInstanceUID else {
                throw Refusal(.sopInstanceMismatch, "data set SOP Instance UID is \(attributes.sopInstanceUID)")
            }
            if let study = expected.studyInstanceUID, attributes.studyInstanceUID != study {
                throw Refusal(.studyMismatch, "the instance is of study \(attributes.studyInstanceUID), not \(study)")
            }
        }
        return CatalogEntry(attributes: attributes, blob: staged.id, size: staged.size, transferSyntaxUID: file.transferSyntax.uid,
                            provenance: provenance, queryHeader: QueryHeader.encode(file.dataSet), problem: damage)
    }
}

/// Synchronous replication (the Replication library's `SyncQuorum`): waits until a blob is
/// durable at enough other sites.
public protocol ReplicaQuorum: Sendable {
    /// Returns once `blob` is confirmed at the quorum; otherwise throws `.notReplicated`
    /// (or returns anyway, when the policy is to accept and alert).
    func confirm(_ blob: BlobID, sopInstanceUID: String) async throws(IngestError)
}
