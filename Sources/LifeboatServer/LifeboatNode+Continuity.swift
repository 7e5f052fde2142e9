import Archive
import Continuity
import DICOMNetwork
import Foundation
import Replication
import Security

/// The continuity side of a node's wiring: the PACS watch, alerts, drills, failback.
extension LifeboatNode {
    /// Drills against every target whose copies can be read back, failures told to `alerter`.
    func drillRunner(stores: ContinuityStores, targets: [any ReplicationTarget], alerter: Alerter?) -> DrillRunner {
        DrillRunner(replicas: stores.replication, store: stores.drills, targets: targets.compactMap { $0 as? any ReadableTarget }, alerter: alerter, dataDirectory: configuration.data)
    }

    /// For `lifeboat drill`: the archive, its targets, and the webhook and email alerts the configuration names.
    public func drillRunner() throws -> DrillRunner {
        guard let title = AETitle(validating: configuration.aeTitle) else {
            throw ConfigurationError("ae-title \"\(configuration.aeTitle)\" is not an AE title")
        }
        let archive = try LocalArchive(root: configuration.data)
        let targets = try configuration.replicationTargets.map { try $0.makeTarget(archive: archive, aeTitle: title) }
        let security = try NodeSecurity(data: configuration.data)
        let stores = try ContinuityStores(pool: archive.catalog.pool)
        // The command ends before a syslog exporter would have sent: its alerts go by webhook and email.
        let (alerter, _) = alerting(stores: stores, aeTitle: configuration.aeTitle,
                                    syslog: nil, auditLog: security.audit.path)
        return drillRunner(stores: stores, targets: targets, alerter: alerter)
    }

    /// The watch over the configured nodes, each change of state told to `alerter`; nil when none is watched.
    func pacsWatch(store: any DowntimeStore, aeTitle: AETitle, alerter: Alerter) -> PACSWatch? {
        let nodes = configuration.pacsWatch.compactMap { title in configuration.dicomNodes.first { $0.aeTitle.value == title } }
        guard !nodes.isEmpty else { return nil }
        return PACSWatch(store: store, options: .init(nodes: nodes, callingAETitle: aeTitle, interval: .seconds(configuration.pacsWatchSeconds),
                                                          downAfter: configuration.pacsDownAfter, automaticDowntime: configuration.downtimeAuto)) { event in
            switch event.state {
            case .down:
                await alerter.raise(Alert(.pacsDown, subject: event.node, severity: .critical, summary: "\(event.node) is down",
                                          detail: "\(event.detail). Readers can query and retrieve from Lifeboat meanwhile; see docs/runbook.md.",
                                          at: event.at))
            case .up:
                await alerter.resolve(.pacsDown, subject: event.node, summary: "\(event.node) is up again",
                                      detail: "Once it is restored: lifeboat failback --to \(event.node)")
            case .degraded:
                break // it answers: not an outage yet
            }
        }
    }

    /// The alert channels the configuration names, the alerter over them, and the checks that feed it.
    func alerting(stores: ContinuityStores, aeTitle: String, syslog: SyslogExporter?, auditLog: String) -> (Alerter, AlertMonitor) {
        var channels: [any Notifier] = []
        if !configuration.alertWebhook.isEmpty { channels.append(WebhookNotifier(url: configuration.alertWebhook)) }
        if let relay = Configuration.hostAndPort(configuration.alertSMTP) {
            channels.append(SMTPNotifier(host: relay.host, port: relay.port, from: configuration.alertEmailFrom, to: configuration.alertEmailTo))
        }
        if configuration.alertSyslog, let syslog {
            channels.append(SyslogNotifier(destination: "\(syslog.destination)", host: syslog.host) { syslog.send(message: $0) })
        }
        let alerter = Alerter(store: stores.alerts, source: aeTitle, channels: channels, limit: configuration.alertsPerHour)
        let monitor = AlertMonitor(replicas: stores.replication, integrity: stores.integrity, alerter: alerter, options: .init(recoveryPointMinutes: configuration.recoveryPointMinutes,
                                                                                      diskFreePercent: Double(configuration.diskFreePercent),
                                                                                      dataDirectory: configuration.data,
                                                                                      audit: AuditChainCheck(path: auditLog) {
                                                                                          try AuditVerifier.verify(path: auditLog).firstProblem
                                                                                      }))
        return (alerter, monitor)
    }

    /// A failback from the configuration's data directory to `node` — an AE title from
    /// dicom-nodes, or AE@host:port —, each study sent recorded in the audit trail.
    /// What arrived during `node`'s recorded downtimes goes first, and during `since`...now.
    public func failback(to node: String, since: Date?, concurrency: Int, commitTimeout: Duration) async throws -> (Failback, AuditLog) {
        guard let title = AETitle(validating: configuration.aeTitle) else {
            throw ConfigurationError("ae-title \"\(configuration.aeTitle)\" is not an AE title")
        }
        guard let destination = configuration.dicomNodes.first(where: { $0.aeTitle.value == node }) ?? DICOMNode(node) else {
            let known = configuration.dicomNodes.map(\.aeTitle.value).joined(separator: ", ")
            throw ConfigurationError("\(node) is neither in dicom-nodes (\(known.isEmpty ? "none configured" : known)) nor AE@host:port")
        }
        let archive = try LocalArchive(root: configuration.data)
        let audit = try NodeSecurity(data: configuration.data).audit
        let stores = try ContinuityStores(pool: archive.catalog.pool)
        let downtime = try await stores.downtimes.downtimes(node: destination.aeTitle.value, limit: 1000).map(\.interval)
            + (since.map { [DateInterval(start: $0, end: max($0, Date()))] } ?? [])
        var options = Failback.Options(node: destination, callingAETitle: title, downtime: downtime, concurrency: concurrency, commitTimeout: commitTimeout)
        options.staging = archive.blobs.stagingDirectory
        let failback = Failback(catalog: archive.catalog, commitments: stores.commitments, blobs: archive.blobs, options: options)
        return (failback, audit)
    }

    /// For `lifeboat failback` while `lifeboat serve` is not running: the DICOM port takes the
    /// PACS's Storage Commitment reports — from the dicom-nodes only, into the commitment store, audited
    /// — and nothing else, until `stop` is called. Nil when the port is taken (by the server,
    /// which then takes the reports itself).
    public func listenForCommitmentReports() async -> (@Sendable () -> Void)? {
        guard let title = AETitle(validating: configuration.aeTitle), let archive = try? LocalArchive(root: configuration.data),
              let stores = try? ContinuityStores(pool: archive.catalog.pool), let security = try? NodeSecurity(data: configuration.data) else { return nil }
        var policy = AcceptorPolicy(aeTitle: title, requireCalledAETitle: !configuration.anyCalledAETitle, abstractSyntaxes: [SOPClass.verification],
                                    maximumLength: UInt32(configuration.maxPDU))
        let access = DICOMAccess(peers: [], strict: true, reporters: commitmentReporters())
        policy.admission = AuditedServices.admission(access, identities: nil, audit: security.audit,
                                                     offered: [SOPClass.verification, StorageCommitment.sopClassUID], queryClasses: [], retrieveClasses: [])
        let services = AuditedServices.wrap(AssociationServices(store: NotServing(), commitmentReports: CommitmentReportRecorder(store: stores.commitments)),
                                            audit: security.audit, access: access)
        let server = DICOMServer(configuration: .init(host: configuration.bindAddress, port: configuration.dicomPort, policy: policy, maximumAssociations: 8),
                                 services: services)
        let (bound, continuation) = AsyncStream.makeStream(of: Bool.self)
        let task = Task {
            do {
                try await server.run { _ in continuation.yield(true) }
            } catch {
                continuation.yield(false)
            }
        }
        var iterator = bound.makeAsyncIterator()
        guard await iterator.next() == true else { return nil }
        return { task.cancel() }
    }

    /// The audit record of one study given back: an export to the PACS (DCM 110106).
    public static func recordFailback(_ study: FailbackReport.Study, to node: String, in audit: AuditLog, actor: String) async throws {
        _ = try await audit.record(.init(.export, succeeded: study.isComplete, actor: actor, source: "local", subject: "study=\(study.studyInstanceUID)",
                         detail: "failback to \(node): \(study.sent) of \(study.missing) sent, \(study.confirmed) confirmed (\(study.confirmedBy.rawValue)), "
                             + "\(study.refused.count) refused"
                             + (study.transcoded.map { ", \($0.count) sent decoded (the PACS takes them only uncompressed)" } ?? "")))
    }
}

/// A DICOM port that takes only commitment reports refuses every store, saying why.
struct NotServing: StoreProvider {
    func beginStore(_ request: StoreRequest) async throws -> any StoreSink {
        throw ServiceError(.outOfResources, "Lifeboat is not serving: only commitment reports are taken during a failback")
    }
}
