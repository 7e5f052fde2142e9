import Archive
import Continuity
import DICOMNetwork
import Foundation
import Logging
import NIOSSL
import Replication
import Protection
import Security
import Web

/// The composition root: from a configuration to a running archive node.
public struct LifeboatNode: Sendable {
    public let configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    /// Opens the archive, puts right what a crash left, and serves DICOM and HTTP until
    /// cancelled. `onListening` gets the DICOM port once associations are accepted,
    /// `onHTTPListening` the HTTP port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in },
                    onHTTPListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        guard let title = AETitle(validating: configuration.aeTitle) else {
            throw ConfigurationError("ae-title \"\(configuration.aeTitle)\" is not an AE title: 1 to 16 characters, no backslash or control characters")
        }
        let archive = try LocalArchive(root: configuration.data)
        let restoring = FileManager.default.fileExists(atPath: Restorer.markerPath(in: configuration.data))
        let report = try await archive.recover(expectingMissing: restoring)
        if restoring {
            Logger(label: "lifeboat").notice("a restore is in progress: \(report.missing.count) blobs are not back yet; a retrieve fetches them from the targets; replication and the scheduled scrub wait for the next start")
        } else if !report.missing.isEmpty {
            Logger(label: "lifeboat").critical("\(report.missing.count) cataloged blobs are missing from \(configuration.data)/blobs")
        }
        let security = try NodeSecurity(data: configuration.data)
        let syslog = try makeSyslogExporter()
        if let syslog { security.audit.forward(to: syslog.send) }
        if let bootstrap = try security.bootstrap(data: configuration.data) {
            Logger(label: "lifeboat").warning("first run: an administrator was made; its user name and one-time password are in \(bootstrap) (readable by this user only); it must be changed at first sign-in, after which delete the file")
        }
        try recordStart(in: security.audit)
        // An instance stored just before a crash, never acknowledged, is in the archive now: the trail says so.
        for recovered in report.recorded {
            try security.audit.append(.store, actor: "lifeboat", source: "local", subject: "SOPInstanceUID=\(recovered.sopInstanceUID)",
                                      detail: "recovered at start: blob \(recovered.blob) was written before a crash, never cataloged nor acknowledged; now cataloged")
        }
        // Continuity's tables (alerts, downtimes, drills, commitment transactions), Protection's
        // (scrub cursors, findings) and Replication's (targets, outbox, replicas), in the node's
        // database beside the catalog.
        let stores = try ContinuityStores(pool: archive.catalog.pool)
        let policy = AcceptorPolicy(aeTitle: title, requireCalledAETitle: !configuration.anyCalledAETitle, maximumLength: UInt32(configuration.maxPDU))
        let targets = try configuration.replicationTargets.map { try $0.makeTarget(archive: archive, aeTitle: title) }
        let scrubber = Self.scrubber(archive: archive, integrity: stores.integrity, replicas: stores.replication, targets: targets, audit: security.audit, actor: "lifeboat")
        var query = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: configuration.aeTitle,
                                options: MatchOptions(caseInsensitivePersonNames: configuration.caseInsensitiveNames))
        // A blob missing or damaged here when it is read is fetched from a target: during a restore, and after a loss.
        if !scrubber.healer.targets.isEmpty {
            let healer = scrubber.healer
            query.fetchMissing = { blob in
                if case .healed = await healer.healLocal(blob) { return true }
                return false
            }
        }
        var quorum: SyncQuorum?
        var ingestor = archive.ingestor
        if configuration.replicationQuorum > 0 {
            quorum = SyncQuorum(targets: Set(configuration.replicationTargets.filter(\.sync).map(\.name)), quorum: configuration.replicationQuorum,
                                timeout: .seconds(configuration.replicationSyncTimeout), policy: configuration.replicationSyncPolicy, replicas: stores.replication)
            ingestor.quorum = quorum
        }
        let (server, tlsServer) = try dicomServers(policy: policy, query: query, ingestor: ingestor, commitments: stores.commitments, security: security)
        var replication: (token: String, ingestor: Ingestor)?
        if configuration.acceptReplication {
            guard let token = ProcessInfo.processInfo.environment[configuration.replicationTokenVariable], token.count >= 16 else {
                throw ConfigurationError("accept-replication: set \(configuration.replicationTokenVariable) in the environment to a token of at least 16 characters")
            }
            guard configuration.httpPort != 0 else { throw ConfigurationError("accept-replication needs HTTP: http-port is 0") }
            replication = (token, archive.ingestor)
        }
        var web = WebServer(host: configuration.bindAddress, port: configuration.httpPort, corsAllowOrigin: configuration.corsAllowOrigin.isEmpty ? nil : configuration.corsAllowOrigin,
                            dicomweb: DICOMweb(engine: query, ingestor: ingestor),
                            access: HTTPAccess(users: security.users, audit: security.audit, allowBasic: configuration.httpBasicAuth,
                                               secureCookies: configuration.https, throttle: security.signIns),
                            catalog: archive.catalog, replication: replication)
        if configuration.https { web.tls = try configuration.tlsFiles?.serverConfiguration(mutual: false) }
        web.operations = (configuration.aeTitle, configuration.data)
        web.continuity = stores
        web.idleTimeout = .seconds(configuration.httpIdleSeconds)
        let hours = configuration.catalogSnapshotHours
        let audit = security.audit, node = configuration.aeTitle
        let currentHead: @Sendable () -> ChainHead = { audit.chainHead(node: node) }
        let replicator = Replicator(targets: targets, catalog: archive.catalog, store: stores.replication, blobs: archive.blobs, staging: archive.blobs.stagingDirectory, quorum: quorum,
                                    snapshots: hours > 0 ? (.seconds(hours * 3600), archive.blobs.stagingDirectory) : nil,
                                    auditHeads: configuration.auditHeadMinutes > 0
                                        ? (.seconds(configuration.auditHeadMinutes * 60), currentHead)
                                        : nil,
                                    changeLog: configuration.changeLogSeconds > 0 ? .seconds(configuration.changeLogSeconds) : nil)
        if !restoring { try await replicator.activate() }
        let scrubPace = restoring ? nil : scrubPace, readBackEvery = scrubReadBackEvery
        let httpPort = configuration.httpPort
        let webServer = web
        let (alerter, alertMonitor) = alerting(stores: stores, aeTitle: configuration.aeTitle, syslog: syslog, auditLog: security.audit.path)
        let watch = pacsWatch(store: stores.downtimes, aeTitle: title, alerter: alerter)
        let drills = drillRunner(stores: stores, targets: targets, alerter: alerter)
        let drillDays = restoring ? 0 : configuration.drillDays, drillStudies = configuration.drillStudies
        let newestDayEvery = configuration.drillNewestDayEvery
        var parts: [NodePart] = []
        if let syslog { parts.append(NodePart("syslog") { await syslog.run() }) }
        parts.append(NodePart("alerts") { await alertMonitor.run() })
        if drillDays > 0 && !drills.targetNames.isEmpty {
            parts.append(NodePart("drills") { await drills.runScheduled(every: .seconds(drillDays * 86400), studies: drillStudies, newestDayEvery: newestDayEvery) })
        }
        if let watch { parts.append(NodePart("pacs-watch") { await watch.run() }) }
        if let scrubPace { parts.append(NodePart("scrub") { await scrubber.run(pace: scrubPace, readBackEvery: readBackEvery) }) }
        // During a restore the catalog names blobs not back yet: replication (and the
        // catalog snapshots it copies) waits for the next start, as the scrub does.
        if !targets.isEmpty && !restoring { parts.append(NodePart("replication") { await replicator.drain() }) }
        let http: (@Sendable () async throws -> Void)? = httpPort == 0 ? nil : { @Sendable in try await webServer.run { onHTTPListening($0) } }
        try await serve(dicom: [server] + (tlsServer.map { [$0] } ?? []), onListening: onListening, http: http, parts: parts,
                        audit: security.audit)
    }
}
