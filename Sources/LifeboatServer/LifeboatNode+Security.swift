import Archive
import Continuity
import DICOMNetwork
import Foundation
import Logging
import NIOCore
import NIOSSL
import Security

/// The security side of a node's wiring: the DICOM servers behind the AE allow-list and the
/// audit trail, the syslog export, the record of each start.
extension LifeboatNode {
    /// The DICOM port and, when configured, the DICOM TLS port: the same services, audited,
    /// behind the same admission (allow-list and user identity).
    func dicomServers(policy: AcceptorPolicy, query: QueryEngine, ingestor: Ingestor, commitments: any CommitmentStore,
                      security: NodeSecurity) throws -> (DICOMServer, DICOMServer?) {
        var policy = policy
        let retrieve = RetrieveService(engine: query, nodes: configuration.dicomNodes, staging: ingestor.stagingDirectory)
        let find = FindService(engine: query)
        let reporters = commitmentReporters()
        let access = DICOMAccess(peers: configuration.dicomPeers, strict: configuration.dicomStrict, reporters: reporters)
        // The AEs the archive is told about may take the association slots kept for them.
        policy.priority = { [peers = configuration.dicomPeers] calling, address in
            if let peer = peers.first(where: { $0.aeTitle == calling.value }) { return peer.address.map { $0 == address } ?? true }
            return reporters.contains { $0.aeTitle == calling.value && $0.addresses.contains(address) }
        }
        policy.admission = AuditedServices.admission(access, identities: try DICOMUserIdentities(users: security.users, throttle: security.signIns),
                                                     audit: security.audit,
                                                     offered: policy.abstractSyntaxes.union(find.findSOPClasses).union(retrieve.moveSOPClasses)
                                                         .union(retrieve.getSOPClasses).union([StorageCommitment.sopClassUID]),
                                                     queryClasses: find.findSOPClasses, retrieveClasses: retrieve.moveSOPClasses.union(retrieve.getSOPClasses))
        let delivery = commitmentReportDelivery(aeTitle: policy.aeTitle, audit: security.audit)
        let commitment = StorageCommitmentService(catalog: query.catalog) { result, caller, address in
            await delivery.deliver(result, to: caller, address: address)
        }
        let services = AuditedServices.wrap(AssociationServices(store: StoreService(ingestor: ingestor), query: find, retrieve: retrieve, commitment: commitment,
                                                                commitmentReports: CommitmentReportRecorder(store: commitments)),
                                            audit: security.audit, access: access)
        let server = DICOMServer(configuration: .init(host: configuration.bindAddress, port: configuration.dicomPort, policy: policy,
                                                      maximumAssociations: configuration.maxAssociations),
                                 services: services)
        let tls = try configuration.tlsFiles?.serverConfiguration()
        let tlsServer = configuration.dicomTLSPort == 0 ? nil : DICOMServer(
            configuration: .init(host: configuration.bindAddress, port: configuration.dicomTLSPort, policy: policy,
                                 maximumAssociations: configuration.maxAssociations, tls: tls,
                                 tlsRefused: { [audit = security.audit] address, why in
                                     audit.note(.init(.rejection, succeeded: false, actor: "unknown", source: address, subject: "DICOM TLS port", detail: why))
                                 }),
            services: services)
        return (server, tlsServer)
    }

    /// The dicom-nodes, which may report Storage Commitment on associations of their own (PS3.4
    /// J.3.3.1.3) even when dicom-strict keeps unlisted AEs out: from their host's address.
    func commitmentReporters() -> [DICOMAccess.Reporter] {
        configuration.dicomNodes.map { node in
            let resolved = try? SocketAddress.makeAddressResolvingHost(node.host, port: node.port).ipAddress
            return DICOMAccess.Reporter(aeTitle: node.aeTitle.value, addresses: Set([node.host] + (resolved.map { [$0] } ?? [])))
        }
    }

    /// Storage Commitment reports for SCUs that released the request's association, sent to
    /// them on associations of our own: at their dicom-nodes address, else at their dicom-peers
    /// entry's port. Each attempt's fate is logged; delivery and giving up are audited.
    func commitmentReportDelivery(aeTitle: AETitle, audit: AuditLog) -> CommitmentReportDelivery {
        let (nodes, peers) = (configuration.dicomNodes, configuration.dicomPeers)
        let logger = Logger(label: "lifeboat.commitment")
        return CommitmentReportDelivery(options: .init(callingAETitle: aeTitle), locate: { caller, address in
            if let node = nodes.first(where: { $0.aeTitle == caller }) { return node }
            guard let peer = peers.first(where: { $0.aeTitle == caller.value }), let port = peer.port else { return nil }
            return DICOMNode(aeTitle: caller, host: peer.address ?? address, port: port)
        }, events: { event in
            switch event {
            case .delivered(let transaction, let node, let attempt):
                logger.info("storage commitment report \(transaction) delivered to \(node) on an association of our own (attempt \(attempt))")
                audit.note(.init(.export, actor: "lifeboat", source: "local", subject: "storage commitment report \(transaction)", detail: "sent to \(node)"))
            case .retrying(let transaction, let node, let attempt, let problem, let delay):
                logger.warning("storage commitment report \(transaction) to \(node), attempt \(attempt): \(problem); trying again in \(delay)")
            case .gaveUp(let transaction, let node, let attempts, let problem):
                logger.error("storage commitment report \(transaction) could not be delivered to \(node) after \(attempts) attempts: \(problem)")
                audit.note(.init(.export, succeeded: false, actor: "lifeboat", source: "local", subject: "storage commitment report \(transaction)",
                                 detail: "not delivered to \(node) after \(attempts) attempts: \(problem)"))
            case .noAddress(let transaction, let caller):
                logger.warning("storage commitment report \(transaction): \(caller) released its association before the report and has no address here (add it to dicom-nodes, or a port to its dicom-peers entry)")
            }
        })
    }

    func makeSyslogExporter() throws -> SyslogExporter? {
        guard let destination = SyslogDestination(configuration.syslog) else { return nil }
        var tls: TLSConfiguration?
        if destination.transport == .tls {
            var client = TLSConfiguration.makeClientConfiguration()
            client.minimumTLSVersion = .tlsv12
            if !configuration.syslogCA.isEmpty {
                do {
                    client.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.syslogCA))
                } catch {
                    throw ConfigurationError("syslog-ca \(configuration.syslogCA): not a readable PEM certificate (\(error))")
                }
            }
            tls = client
        }
        return SyslogExporter(destination: destination, auditSource: configuration.aeTitle, tls: tls)
    }

    /// Records the start in the audit log, as a configuration change when the settings
    /// differ from the last start's (their SHA-256 is kept in audit/configuration.sha256).
    func recordStart(in audit: AuditLog) throws {
        let digest = Secrets.digest(configuration.canonicalText)
        let file = (audit.path as NSString).deletingLastPathComponent + "/configuration.sha256"
        let last = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if last != digest {
            try audit.append(.configurationChange, actor: "lifeboat", source: "local", subject: "configuration",
                             detail: last == nil ? "first start, settings \(digest)" : "settings changed from \(last!) to \(digest)")
            try digest.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try audit.append(.administration, actor: "lifeboat", source: "local", subject: configuration.aeTitle, detail: "started, settings \(digest)")
    }
}
