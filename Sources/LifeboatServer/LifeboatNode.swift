import Archive
import DICOMNetwork
import Foundation
import Logging
import Replication
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
        let report = try await archive.recover()
        if !report.missing.isEmpty {
            Logger(label: "lifeboat").critical("\(report.missing.count) cataloged blobs are missing from \(configuration.data)/blobs")
        }
        let policy = AcceptorPolicy(aeTitle: title, requireCalledAETitle: !configuration.anyCalledAETitle, maximumLength: UInt32(configuration.maxPDU))
        let query = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: configuration.aeTitle,
                                options: MatchOptions(caseInsensitivePersonNames: configuration.caseInsensitiveNames))
        var quorum: SyncQuorum?
        var ingestor = archive.ingestor
        if configuration.replicationQuorum > 0 {
            quorum = SyncQuorum(targets: Set(configuration.replicationTargets.filter(\.sync).map(\.name)), quorum: configuration.replicationQuorum,
                                timeout: .seconds(configuration.replicationSyncTimeout), policy: configuration.replicationSyncPolicy, catalog: archive.catalog)
            ingestor.quorum = quorum
        }
        let server = DICOMServer(configuration: .init(port: configuration.dicomPort, policy: policy, maximumAssociations: configuration.maxAssociations),
                                 services: AssociationServices(store: ingestor, query: query,
                                                               retrieve: RetrieveService(engine: query, nodes: configuration.dicomNodes)))
        var replication: (token: String, ingestor: Ingestor)?
        if configuration.acceptReplication {
            guard let token = ProcessInfo.processInfo.environment[configuration.replicationTokenVariable], token.count >= 16 else {
                throw ConfigurationError("accept-replication: set \(configuration.replicationTokenVariable) in the environment to a token of at least 16 characters")
            }
            guard configuration.httpPort != 0 else { throw ConfigurationError("accept-replication needs HTTP: http-port is 0") }
            replication = (token, archive.ingestor)
        }
        let web = WebServer(port: configuration.httpPort, corsAllowOrigin: configuration.corsAllowOrigin.isEmpty ? nil : configuration.corsAllowOrigin,
                            dicomweb: DICOMweb(engine: query, ingestor: ingestor), catalog: archive.catalog, replication: replication)
        let targets = try configuration.replicationTargets.map { try $0.makeTarget(archive: archive, aeTitle: title) }
        let hours = configuration.catalogSnapshotHours
        let replicator = Replicator(targets: targets, catalog: archive.catalog, blobs: archive.blobs, quorum: quorum,
                                    snapshots: hours > 0 ? (.seconds(hours * 3600), archive.blobs.stagingDirectory) : nil)
        try await replicator.activate()
        let httpPort = configuration.httpPort
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(onBound: onListening) }
            if httpPort != 0 { group.addTask { try await web.run { onHTTPListening($0) } } }
            if !targets.isEmpty {
                group.addTask {
                    await replicator.drain()
                    try Task.checkCancellation()
                }
            }
            // Either ending ends the node.
            try await group.next()
            group.cancelAll()
        }
    }
}
