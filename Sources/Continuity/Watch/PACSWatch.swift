import Archive
import DICOM
import DICOMNetwork
import Foundation
import Logging

/// Watches the PACS (and any other node): every interval each is probed with C-ECHO and a
/// small C-FIND over one association; each change of state is recorded with its time, and a
/// node found down opens a downtime incident — closed again when it is back up, unless an
/// operator opened it (`lifeboat downtime start`), who then closes it too.
public struct PACSWatch: Sendable {
    public struct Options: Sendable {
        public var nodes: [DICOMNode]
        public var callingAETitle: AETitle
        public var interval: Duration
        public var downAfter: Int
        public var probeTimeout: Duration
        /// Open and close downtimes as the node goes down and comes back.
        public var automaticDowntime: Bool

        public init(nodes: [DICOMNode], callingAETitle: AETitle, interval: Duration = .seconds(30), downAfter: Int = 3,
                    probeTimeout: Duration = .seconds(10), automaticDowntime: Bool = true) {
            self.nodes = nodes
            self.callingAETitle = callingAETitle
            self.interval = interval
            self.downAfter = downAfter
            self.probeTimeout = probeTimeout
            self.automaticDowntime = automaticDowntime
        }
    }

    /// Who a downtime the watch opens is opened by.
    public static let actor = "watch"

    let store: any DowntimeStore
    let options: Options
    let logger = Logger(label: "lifeboat.watch")
    /// Told of each change of state (for alerts).
    let changed: @Sendable (NodeEvent) async -> Void

    public init(store: any DowntimeStore, options: Options, changed: @escaping @Sendable (NodeEvent) async -> Void = { _ in }) {
        self.store = store
        self.options = options
        self.changed = changed
    }

    /// Probes until cancelled.
    public func run() async {
        let last = Dictionary(((try? await store.latestNodeEvents()) ?? []).map { ($0.node, $0.state) }) { first, _ in first }
        await withTaskGroup(of: Void.self) { group in
            for node in options.nodes {
                group.addTask {
                    var health = NodeHealth(state: last[node.aeTitle.value], downAfter: options.downAfter)
                    while !Task.isCancelled {
                        let probe = await Self.probe(node, callingAETitle: options.callingAETitle, timeout: options.probeTimeout)
                        await take(probe, for: node, into: &health)
                        try? await Task.sleep(for: options.interval)
                    }
                }
            }
        }
    }

    /// One probe's consequences: the event, and the downtime opened or closed.
    func take(_ probe: NodeHealth.Probe, for node: DICOMNode, into health: inout NodeHealth) async {
        guard let state = health.record(probe) else { return }
        let name = node.aeTitle.value
        let event = NodeEvent(node: name, state: state, at: Date(), detail: probe.detail)
        do {
            try await store.record(event)
            if options.automaticDowntime {
                if state == .down {
                    try await store.startDowntime(node: name, at: event.at, by: Self.actor, reason: "found down by the PACS watch: \(probe.detail)")
                } else if state == .up, let open = try await store.downtimes(node: name, limit: 1).first, open.endedAt == nil,
                          open.startedBy == Self.actor {
                    try await store.endDowntime(node: name, at: event.at, by: Self.actor)
                }
            }
        } catch {
            logger.error("cannot record that \(name) is \(state.rawValue): \(error)")
        }
        switch state {
        case .up: logger.notice("\(name) is up", metadata: ["detail": "\(probe.detail)"])
        case .degraded: logger.warning("\(name) is degraded", metadata: ["detail": "\(probe.detail)"])
        case .down: logger.critical("\(name) is down", metadata: ["detail": "\(probe.detail)"])
        }
        await changed(event)
    }

    /// C-ECHO, then a study-level C-FIND for a UID no study has (it costs the PACS one index
    /// look-up), over one association, within `timeout`.
    public static func probe(_ node: DICOMNode, callingAETitle: AETitle, timeout: Duration) async -> NodeHealth.Probe {
        let configuration = RequestorAssociation.Configuration(host: node.host, port: node.port, callingAETitle: callingAETitle,
                                                               calledAETitle: node.aeTitle, connectTimeout: .seconds(Int64(timeout.components.seconds)))
        let syntaxes = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]
        let started = ContinuousClock.now
        do {
            return try await withDeadline(timeout, "\(node.aeTitle.value)") {
                try await RequestorAssociation.withAssociation(configuration, proposing: [
                    ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: syntaxes),
                    ProposedPresentationContext(id: 3, abstractSyntax: SOPClass.studyRootFind, transferSyntaxes: syntaxes),
                ]) { association in
                    let echo = try await association.echo()
                    guard echo == .success else { return .init(echoed: false, found: false, detail: "C-ECHO answered \(echo)") }
                    guard association.accepted.values.contains(where: { $0.abstractSyntax == SOPClass.studyRootFind }) else {
                        return .init(echoed: true, found: true, detail: "C-ECHO answered; C-FIND not offered, so not asked")
                    }
                    var identifier = DataSet()
                    identifier[Tag.queryRetrieveLevel] = DataElement(tag: Tag.queryRetrieveLevel, vr: .CS, strings: ["STUDY"])
                    identifier[.studyInstanceUID] = DataElement(tag: .studyInstanceUID, vr: .UI, strings: [UIDGenerator.make()])
                    let (_, status) = try await association.find(identifier, sopClassUID: SOPClass.studyRootFind)
                    let elapsed = ContinuousClock.now - started
                    guard status.category == .success else {
                        return .init(echoed: true, found: false, detail: "C-ECHO answered, C-FIND ended with \(status)")
                    }
                    return .init(echoed: true, found: true, detail: "C-ECHO and C-FIND answered in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
                }
            }
        } catch {
            return .init(echoed: false, found: false, detail: FileSender.describe(error, configuration))
        }
    }
}
