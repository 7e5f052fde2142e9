import Archive
import DICOM
import DICOMNetwork
import Foundation
import Logging

/// The C-MOVE and C-GET SCP of the Patient Root and Study Root models (PS3.4 C.4.2, C.4.3,
/// C.6.1, C.6.2): which stored instances an identifier names, and where a move destination is.
public struct RetrieveService: RetrieveProvider {
    public let engine: QueryEngine
    /// The nodes C-MOVE may send to, by AE title.
    public let nodes: [DICOMNode]
    /// Where a blob the store keeps no file of is copied, through the verified reader, for the
    /// retrieve that sends it (removed when it ends); nil: such a blob fails as not held here.
    public let staging: String?
    let logger: Logger

    public init(engine: QueryEngine, nodes: [DICOMNode], staging: String? = nil, logger: Logger = Logger(label: "lifeboat.retrieve")) {
        self.engine = engine
        self.nodes = nodes
        self.staging = staging
        self.logger = logger
    }

    public var moveSOPClasses: Set<String> { [SOPClass.patientRootMove, SOPClass.studyRootMove] }
    public var getSOPClasses: Set<String> { [SOPClass.patientRootGet, SOPClass.studyRootGet] }

    public func destination(_ aeTitle: AETitle, for request: QueryRetrieveRequest) -> DICOMNode? { nodes.first { $0.aeTitle == aeTitle } }

    public func instances(for request: QueryRetrieveRequest) async throws -> [RetrievableInstance] {
        let model: InformationModel = [SOPClass.patientRootMove, SOPClass.patientRootGet].contains(request.sopClassUID) ? .patientRoot : .studyRoot
        let query: CatalogQuery
        do {
            query = try CatalogQuery(identifier: request.identifier, model: model)
        } catch {
            throw ServiceError(.identifierDoesNotMatchSOPClass, error.message)
        }
        // PS3.4 C.4.2.2.1: a retrieve names entities by the unique key of its level; without
        // one it would name the whole archive.
        let unique = query.keys.first { $0.tag == query.level.uniqueKey }
        switch unique?.matching {
        case .single, .uidList: break
        default:
            throw ServiceError(.identifierDoesNotMatchSOPClass, "a \(query.level.rawValue) retrieve needs \(query.level.uniqueKey) with a value")
        }
        let stored: [StoredInstance]
        do {
            stored = try await engine.storedInstances(matching: query)
        } catch let error as QueryError {
            throw ServiceError(DIMSEStatus(querying: error.code), error.message)
        }
        var instances: [RetrievableInstance] = []
        for instance in stored {
            var retrievable = RetrievableInstance(sopClassUID: instance.sopClassUID, sopInstanceUID: instance.sopInstanceUID,
                                                  transferSyntaxUID: instance.transferSyntaxUID, path: instance.path ?? "", contentID: instance.blob.hex)
            if instance.path == nil {
                retrievable.problem = await stage(instance.blob, as: &retrievable)
            }
            instances.append(retrievable)
        }
        return instances
    }

    /// A store with no file of its own: the blob goes from a copy made through the verified
    /// reader (disk, not memory, holds what a retrieve sends). Why not, when it cannot.
    private func stage(_ blob: BlobID, as instance: inout RetrievableInstance) async -> String? {
        guard let staging else { return "no local copy of \(instance.sopInstanceUID) to send" }
        do {
            instance.path = try await engine.blobs.file(of: blob, staging: staging).path
            return nil
        } catch BlobStoreError.damaged {
            logger.critical("a blob does not match its SHA-256", metadata: ["blob": "\(blob)", "instance": "\(instance.sopInstanceUID)"])
            return "stored copy damaged (SHA-256 mismatch)"
        } catch {
            return "stored copy unreadable: \(error)"
        }
    }

    /// Zero-loss invariant 3: a blob is checked against its SHA-256 on every read; one that
    /// no longer matches is not sent as if intact.
    public func check(_ instance: RetrievableInstance) async -> String? {
        guard let id = BlobID(hex: instance.contentID) else { return "no checksum is known for \(instance.sopInstanceUID)" }
        // A copy staged for this retrieve was verified as it was made: the store is not read twice.
        if isStagedCopy(instance) { return nil }
        await engine.ensureLocal(id)
        do {
            // A damaged copy is fetched again from a good one before it is given up.
            var intact = try await engine.blobs.verify(id)
            if !intact, let fetch = engine.fetchMissing { intact = await fetch(id) }
            guard intact else {
                logger.critical("a blob does not match its SHA-256", metadata: ["blob": "\(id)", "instance": "\(instance.sopInstanceUID)"])
                return "stored copy damaged (SHA-256 mismatch)"
            }
            return nil
        } catch {
            return "stored copy unreadable: \(error)"
        }
    }

    /// Whether the instance goes from a copy staged for its retrieve (a store's own files are
    /// never under staging).
    private func isStagedCopy(_ instance: RetrievableInstance) -> Bool {
        staging.map { instance.path.hasPrefix($0 + "/") } ?? false
    }

    public func finished(_ request: QueryRetrieveRequest, ending: RetrieveEnding) {
        // The copies staged for this retrieve go.
        if staging != nil {
            for instance in ending.instances where isStagedCopy(instance) { unlink(instance.path) }
        }
        let counts = ending.counts
        var metadata: Logger.Metadata = [
            "from": "\(request.callingAETitle.value)", "source": "\(request.peerAddress)", "to": "\(ending.destination?.value ?? request.callingAETitle.value)",
            "completed": "\(counts.completed)", "failed": "\(counts.failed)", "warning": "\(counts.warning)", "status": "\(ending.status)",
        ]
        if let transcoded = ending.transcodedSummary { metadata["transcoded"] = "\(transcoded)" }
        if let problem = ending.problem { metadata["problem"] = "\(problem)" }
        let what = ending.destination == nil ? "C-GET" : "C-MOVE"
        if ending.problem == nil { logger.info("\(what)", metadata: metadata) } else { logger.warning("\(what) failed", metadata: metadata) }
        // Each failure where the administrator looks, with its reason (ten at most).
        for (instance, reason) in ending.failures.sorted(by: { $0.key < $1.key }).prefix(10) {
            logger.warning("\(what) sub-operation failed", metadata: ["instance": "\(instance)", "reason": "\(reason)", "to": metadata["to"]!])
        }
    }
}
