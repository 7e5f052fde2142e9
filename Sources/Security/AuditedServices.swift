import DICOM
import DICOMNetwork
import Logging
import NIOCore

/// The DIMSE services with the audit trail and the AE allow-list in front: every store,
/// query and retrieve is recorded (who — the calling AE —, from where, what, how it ended),
/// and a C-MOVE goes only where the caller's entry allows.
public enum AuditedServices {
    public static func wrap(_ services: AssociationServices, audit: AuditLog, access: DICOMAccess) -> AssociationServices {
        AssociationServices(store: AuditedStore(inner: services.store, audit: audit, access: access),
                            query: services.query.map { AuditedQuery(inner: $0, audit: audit) },
                            retrieve: services.retrieve.map { AuditedRetrieve(inner: $0, audit: audit, access: access) },
                            commitment: services.commitment.map { AuditedCommitment(inner: $0, audit: audit) },
                            commitmentReports: services.commitmentReports.map { AuditedCommitmentReports(inner: $0, audit: audit) })
    }

    /// The admission decision for the acceptor: the user identity checked (`identities`),
    /// then the allow-list; each sign-in and refusal recorded.
    public static func admission(_ access: DICOMAccess, identities: DICOMUserIdentities?, audit: AuditLog, offered: Set<String>, queryClasses: Set<String>,
                                 retrieveClasses: Set<String>) -> @Sendable (AcceptorPolicy.Peer) -> AcceptorPolicy.Admission {
        let logger = Logger(label: "lifeboat.dicom")
        return { peer in
            var userRights: Set<DICOMAccess.Right> = []
            switch identities?.check(peer.userIdentity, from: peer.address) ?? .none {
            case .none: break
            case .refused(let name, let why):
                logger.warning("association rejected: user identity refused", metadata: ["user": "\(name)", "calling": "\(peer.callingAETitle.value)",
                                                                                          "from": "\(peer.address)", "reason": "\(why)"])
                audit.note(.init(.loginFailed, succeeded: false, actor: name, source: peer.address, subject: "DICOM \(peer.callingAETitle.value)",
                                 detail: "user identity refused: \(why)"))
                return .rejectIdentity
            case .user(let user):
                userRights = DICOMUserIdentities.rights(of: user.role)
                audit.note(.init(.login, actor: user.name, source: peer.address, subject: "DICOM \(peer.callingAETitle.value)",
                                 detail: "user identity accepted (\(user.role.rawValue))"))
            }
            let (admission, refusal) = access.admit(peer, offered: offered, queryClasses: queryClasses, retrieveClasses: retrieveClasses,
                                                    userRights: userRights)
            let detail: String? = switch refusal {
            case .association(let why): "association rejected: \(why)"
            case .services(let rights, let why): "\(rights.map(\.rawValue).sorted().joined(separator: ", ")) refused: \(why)"
            case nil: nil
            }
            if let detail {
                logger.warning("DICOM \(detail)", metadata: ["calling": "\(peer.callingAETitle.value)", "called": "\(peer.calledAETitle.value)",
                                                            "from": "\(peer.address)"])
                audit.note(.init(.rejection, succeeded: false, actor: peer.callingAETitle.value, source: peer.address,
                                 subject: "called AE \(peer.calledAETitle.value)", detail: detail))
            }
            return admission
        }
    }

    /// What an identifier asks for, for the record: the patient and study keys it gives.
    static func subject(_ identifier: DataSet) -> String {
        let keys: [(String, Tag)] = [("PatientID", .patientID), ("PatientName", .patientName), ("StudyInstanceUID", .studyInstanceUID),
                                     ("AccessionNumber", Tag.accessionNumber), ("SeriesInstanceUID", .seriesInstanceUID)]
        let level = ((try? identifier.string(Tag.queryRetrieveLevel)) ?? nil) ?? ""
        let given = keys.compactMap { name, tag -> String? in
            guard let value = (try? identifier.string(tag)) ?? nil, !value.isEmpty else { return nil }
            return "\(name)=\(value)"
        }
        return ([level.isEmpty ? "" : "level=\(level)"] + given).filter { !$0.isEmpty }.joined(separator: " ")
    }
}

struct AuditedStore: StoreProvider {
    let inner: any StoreProvider
    let audit: AuditLog
    let access: DICOMAccess

    func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        do {
            guard access.mayStore(request.callingAETitle.value) else {
                throw ServiceError(.notAuthorized, "\(request.callingAETitle.value)'s entry in dicom-peers does not allow it to store")
            }
            return AuditedSink(inner: try await inner.beginStore(request), request: request, audit: audit)
        } catch {
            audit.note(.init(.store, succeeded: false, actor: request.callingAETitle.value, source: request.peerAddress,
                             subject: "SOPInstanceUID=\(request.sopInstanceUID)", detail: "refused: \(error)"))
            throw error
        }
    }
}

struct AuditedSink: StoreSink {
    let inner: any StoreSink
    let request: StoreRequest
    let audit: AuditLog

    func write(_ fragment: ByteBuffer) async throws { try await inner.write(fragment) }

    /// A store is acknowledged only once its audit record is written (zero-loss invariant 5):
    /// if it cannot be, the sender is told A700 — the instance stays stored, and is
    /// acknowledged (and recorded) when it comes again.
    func finish() async -> ServiceOutcome {
        let outcome = await inner.finish()
        let stored = [.success, .warning].contains(outcome.status.category)
        let entry = AuditLog.Entry(.store, succeeded: stored, actor: request.callingAETitle.value, source: request.peerAddress,
                                   subject: "SOPInstanceUID=\(request.sopInstanceUID)", detail: "C-STORE \(request.sopClassUID) status \(outcome.status)")
        guard stored else {
            audit.note(entry)
            return outcome
        }
        guard audit.noted(entry) else {
            Logger(label: "lifeboat.audit").error("a store not acknowledged: its audit record cannot be written; the sender is told A700 and will send it again",
                                                  metadata: ["instance": "\(request.sopInstanceUID)", "from": "\(request.callingAETitle.value)"])
            return ServiceOutcome(status: .outOfResources, errorComment: "the audit trail cannot be written: not acknowledged")
        }
        return outcome
    }

    func cancel() async {
        await inner.cancel()
        audit.note(.init(.store, succeeded: false, actor: request.callingAETitle.value, source: request.peerAddress,
                         subject: "SOPInstanceUID=\(request.sopInstanceUID)", detail: "C-STORE abandoned: the association ended mid-instance"))
    }
}

struct AuditedQuery: QueryProvider {
    let inner: any QueryProvider
    let audit: AuditLog

    var findSOPClasses: Set<String> { inner.findSOPClasses }

    func find(_ request: QueryRetrieveRequest, match: @Sendable (DataSet) async throws -> Void) async -> ServiceOutcome {
        let outcome = await inner.find(request, match: match)
        audit.note(.init(.query, succeeded: [.success, .cancel].contains(outcome.status.category), actor: request.callingAETitle.value,
                         source: request.peerAddress, subject: AuditedServices.subject(request.identifier),
                         detail: "C-FIND \(request.sopClassUID) status \(outcome.status)"))
        return outcome
    }
}

struct AuditedRetrieve: RetrieveProvider {
    let inner: any RetrieveProvider
    let audit: AuditLog
    let access: DICOMAccess

    var moveSOPClasses: Set<String> { inner.moveSOPClasses }
    var getSOPClasses: Set<String> { inner.getSOPClasses }

    func instances(for request: QueryRetrieveRequest) async throws -> [RetrievableInstance] { try await inner.instances(for: request) }
    func check(_ instance: RetrievableInstance) async -> String? { await inner.check(instance) }

    func destination(_ aeTitle: AETitle, for request: QueryRetrieveRequest) -> DICOMNode? {
        guard access.mayMove(request.callingAETitle.value, to: aeTitle.value) else {
            audit.note(.init(.rejection, succeeded: false, actor: request.callingAETitle.value, source: request.peerAddress,
                             subject: AuditedServices.subject(request.identifier), detail: "C-MOVE to \(aeTitle.value) refused: not an allowed destination"))
            return nil
        }
        return inner.destination(aeTitle, for: request)
    }

    func finished(_ request: QueryRetrieveRequest, ending: RetrieveEnding) {
        inner.finished(request, ending: ending)
        let how = ending.destination.map { "C-MOVE to \($0.value)" } ?? "C-GET"
        let counts = ending.counts
        audit.note(.init(.retrieve, succeeded: ending.status.category == .success, actor: request.callingAETitle.value, source: request.peerAddress,
                         subject: AuditedServices.subject(request.identifier),
                         detail: "\(how): \(counts.completed) sent, \(counts.failed) failed, \(counts.warning) warnings, status \(ending.status)"
                            + (ending.transcodedSummary.map { "; transcoded for the peer: \($0)" } ?? "")))
    }
}

/// A Storage Commitment request, recorded with what was committed and what was not.
struct AuditedCommitment: CommitmentProvider {
    let inner: any CommitmentProvider
    let audit: AuditLog

    func commit(_ request: StorageCommitment.Request, from callingAETitle: AETitle, address: String) async -> StorageCommitment.Result {
        let result = await inner.commit(request, from: callingAETitle, address: address)
        audit.note(.init(.query, succeeded: result.failed.isEmpty, actor: callingAETitle.value, source: address,
                         subject: "storage commitment \(request.transactionUID)",
                         detail: "\(result.committed.count) of \(request.references.count) instances committed"
                            + (result.failed.isEmpty ? "" : ", \(result.failed.count) not held here")))
        return result
    }
}

extension AuditedCommitment {
    func undelivered(_ result: StorageCommitment.Result, to callingAETitle: AETitle, address: String) async {
        await inner.undelivered(result, to: callingAETitle, address: address)
    }
}

/// A Storage Commitment report an SCP sent on an association it opened, recorded with how it was answered.
struct AuditedCommitmentReports: CommitmentReportReceiver {
    let inner: any CommitmentReportReceiver
    let audit: AuditLog

    func received(_ result: StorageCommitment.Result, from callingAETitle: AETitle, address: String) async -> ServiceOutcome {
        let outcome = await inner.received(result, from: callingAETitle, address: address)
        audit.note(.init(.query, succeeded: outcome.status.category == .success, actor: callingAETitle.value, source: address,
                         subject: "storage commitment report \(result.transactionUID)",
                         detail: "\(result.committed.count) committed, \(result.failed.count) failed; answered \(outcome.status)"
                            + (outcome.errorComment.map { ": \($0)" } ?? "")))
        return outcome
    }
}
