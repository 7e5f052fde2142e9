import Archive
import DICOMNetwork
import Foundation
import NIOSSL
import Security

/// The security side of a node's wiring: the DICOM servers behind the AE allow-list and the
/// audit trail, the syslog export, the record of each start.
extension LifeboatNode {
    /// The DICOM port and, when configured, the DICOM TLS port: the same services, audited,
    /// behind the same admission (allow-list and user identity).
    func dicomServers(policy: AcceptorPolicy, query: QueryEngine, ingestor: Ingestor, security: NodeSecurity) throws -> (DICOMServer, DICOMServer?) {
        var policy = policy
        let retrieve = RetrieveService(engine: query, nodes: configuration.dicomNodes)
        let access = DICOMAccess(peers: configuration.dicomPeers, strict: configuration.dicomStrict)
        policy.admission = AuditedServices.admission(access, identities: try DICOMUserIdentities(users: security.users), audit: security.audit,
                                                     offered: policy.abstractSyntaxes.union(query.findSOPClasses).union(retrieve.moveSOPClasses)
                                                         .union(retrieve.getSOPClasses).union([StorageCommitment.sopClassUID]),
                                                     queryClasses: query.findSOPClasses, retrieveClasses: retrieve.moveSOPClasses.union(retrieve.getSOPClasses))
        let services = AuditedServices.wrap(AssociationServices(store: ingestor, query: query, retrieve: retrieve,
                                                                       commitment: StorageCommitmentService(catalog: query.catalog)), audit: security.audit, access: access)
        let server = DICOMServer(configuration: .init(port: configuration.dicomPort, policy: policy, maximumAssociations: configuration.maxAssociations),
                                 services: services)
        let tls = try configuration.tlsFiles?.serverConfiguration()
        let tlsServer = configuration.dicomTLSPort == 0 ? nil : DICOMServer(
            configuration: .init(port: configuration.dicomTLSPort, policy: policy, maximumAssociations: configuration.maxAssociations, tls: tls,
                                 tlsRefused: { [audit = security.audit] address, why in
                                     audit.note(.init(.rejection, succeeded: false, actor: "unknown", source: address, subject: "DICOM TLS port", detail: why))
                                 }),
            services: services)
        return (server, tlsServer)
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
