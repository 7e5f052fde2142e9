import Archive
import Foundation
import Logging
import Protection
import Replication

/// Looks, every `interval`, at what must raise an alert — a target failing for good or
/// behind its recovery point, bad copies found, a blob with no good copy anywhere, the data
/// disk filling, the audit chain broken — and hands what holds to the `Alerter`, which tells
/// each incident once and its end once.
public struct AlertMonitor: Sendable {
    public struct Options: Sendable {
        public var interval: Duration
        /// A target whose oldest unconfirmed version is older than this is behind.
        public var recoveryPointMinutes: Int
        /// Alert when less of the data directory's file system than this is free.
        public var diskFreePercent: Double
        public var dataDirectory: String
        /// The audit log's chain, verified every `auditEvery`; nil: not checked.
        public var audit: AuditChainCheck?
        public var auditEvery: Duration

        public init(interval: Duration = .seconds(60), recoveryPointMinutes: Int = 60, diskFreePercent: Double = 10, dataDirectory: String,
                    audit: AuditChainCheck? = nil, auditEvery: Duration = .seconds(3600)) {
            self.interval = interval
            self.recoveryPointMinutes = recoveryPointMinutes
            self.diskFreePercent = diskFreePercent
            self.dataDirectory = dataDirectory
            self.audit = audit
            self.auditEvery = auditEvery
        }
    }

    let replicas: any ReplicationStore
    let integrity: any IntegrityStore
    let alerter: Alerter
    let options: Options
    let logger = Logger(label: "lifeboat.alerts")

    public init(replicas: any ReplicationStore, integrity: any IntegrityStore, alerter: Alerter, options: Options) {
        self.replicas = replicas
        self.integrity = integrity
        self.alerter = alerter
        self.options = options
    }

    /// Checks until cancelled.
    public func run() async {
        var state = State(lastFinding: (try? await integrity.lastFindingID()) ?? 0)
        while !Task.isCancelled {
            await check(&state)
            try? await Task.sleep(for: options.interval)
        }
    }

    /// What one check carries to the next.
    struct State {
        var lastFinding: Int64
        var lastAuditCheck: ContinuousClock.Instant?
    }

    func check(_ state: inout State) async {
        await checkReplication()
        await checkDisk()
        await checkIntegrity(after: &state.lastFinding)
        if let audit = options.audit, state.lastAuditCheck.map({ ContinuousClock.now - $0 >= options.auditEvery }) ?? true {
            state.lastAuditCheck = .now
            await checkAudit(audit)
        }
    }

    func checkReplication() async {
        guard let statuses = try? await replicas.replicationStatus() else { return }
        var holding: [Alert] = []
        for target in statuses where target.active {
            if target.permanentFailures > 0 {
                holding.append(Alert(.replicationFailed, subject: target.name, severity: .critical,
                                     summary: "\(target.permanentFailures) version\(target.permanentFailures == 1 ? "" : "s") failed for good at \(target.name)",
                                     detail: "Last error: \(target.lastError ?? "none recorded"). Put the cause right, then: lifeboat replication retry \(target.name)"))
            }
            let minutes = Int(target.recoveryPointSeconds / 60)
            if target.recoveryPointSeconds > Double(options.recoveryPointMinutes * 60) {
                holding.append(Alert(.recoveryPoint, subject: target.name, severity: .warning,
                                     summary: "\(target.name) is \(minutes) minutes behind (recovery point objective: \(options.recoveryPointMinutes))",
                                     detail: "\(target.queueDepth) versions queued; last success \(target.lastSuccessAt ?? "never"); last error \(target.lastError ?? "none")"))
            }
        }
        await alerter.reconcile([.replicationFailed, .recoveryPoint], holding: holding) { incident in
            incident.kind == .recoveryPoint ? "\(incident.subject) has caught up" : "\(incident.subject) has no version failed for good any more"
        }
    }

    func checkDisk() async {
        guard let space = DiskSpace(of: options.dataDirectory) else { return }
        var holding: [Alert] = []
        if space.availablePercent < options.diskFreePercent {
            holding.append(Alert(.diskFilling, subject: "data", severity: space.availablePercent < options.diskFreePercent / 2 ? .critical : .warning,
                                 summary: String(format: "%.1f%% free (%.1f GB) where the archive is kept", space.availablePercent, Double(space.availableBytes) / 1e9),
                                 detail: "\(options.dataDirectory): see lifeboat plan for how long it lasts; add space before it is full (stores are then refused with A700)"))
        }
        await alerter.reconcile([.diskFilling], holding: holding) { _ in "enough space again where the archive is kept" }
    }

    /// New bad copies raise "corruption" for their place until each is healed (a heal found in
    /// the same check resolves it at once); a blob whose newest finding says no good copy
    /// exists anywhere raises "no-good-copy" until a later finding heals it.
    func checkIntegrity(after last: inout Int64) async {
        guard let recent = try? await integrity.findings(since: Date().addingTimeInterval(-30 * 86400)) else { return }
        let new = recent.filter { ($0.id ?? 0) > last }
        last = max(last, recent.compactMap(\.id).max() ?? last)
        // The newest finding of each copy says whether it is still bad.
        var newest: [String: IntegrityFinding] = [:]
        for finding in recent { newest["\(finding.place)|\(finding.blob)"] = finding }
        var holding: [Alert] = []
        let unhealed = newest.values.filter { $0.healedAt == nil && !$0.unrecoverable }
        for (place, findings) in Dictionary(grouping: unhealed, by: \.place) {
            holding.append(Alert(.corruption, subject: place, severity: .warning, summary: "\(findings.count) bad cop\(findings.count == 1 ? "y" : "ies") at \(place), not healed",
                                 detail: "lifeboat verify heals them from a good copy; kinds: \(Set(findings.map(\.problem.rawValue)).sorted().joined(separator: ", "))"))
        }
        // Found and healed between two checks: told as begun and ended.
        for (place, findings) in Dictionary(grouping: new.filter { $0.healedAt != nil }, by: \.place) where !holding.contains(where: { $0.subject == place }) {
            await alerter.raise(Alert(.corruption, subject: place, severity: .warning, summary: "\(findings.count) bad cop\(findings.count == 1 ? "y" : "ies") found at \(place)",
                                      detail: "kinds: \(Set(findings.map(\.problem.rawValue)).sorted().joined(separator: ", "))"))
        }
        var lost: [String: IntegrityFinding] = [:]
        for finding in recent { lost[finding.blob.hex] = finding.unrecoverable ? finding : nil }
        for finding in lost.values {
            holding.append(Alert(.noGoodCopy, subject: finding.blob.hex, severity: .critical, summary: "no good copy of blob \(finding.blob.hex.prefix(16))… anywhere",
                                 detail: "Found \(finding.problem.rawValue) at \(finding.place) and at every other place; lifeboat verify says which instance it is"))
        }
        await alerter.reconcile([.corruption, .noGoodCopy], holding: holding) { incident in
            incident.kind == .corruption ? "every bad copy at \(incident.subject) healed" : "blob \(incident.subject.prefix(16))… healed"
        }
    }

    func checkAudit(_ audit: AuditChainCheck) async {
        let log = audit.path
        var holding: [Alert] = []
        do {
            if let problem = try audit.firstBreak() {
                holding.append(Alert(.auditChain, subject: "audit log", severity: .critical, summary: "the audit chain breaks at line \(problem.line): \(problem.what)",
                                     detail: "\(log): lifeboat audit verify names the record; the chain heads copied to the targets show what it said"))
            }
        } catch {
            holding.append(Alert(.auditChain, subject: "audit log", severity: .critical, summary: "the audit log cannot be read: \(error)", detail: log))
        }
        await alerter.reconcile([.auditChain], holding: holding) { _ in "the audit chain verifies again" }
    }
}

/// The audit log's chain as its keeper (Security's `AuditVerifier`) checks it: where it first
/// breaks, nil while it is whole.
public struct AuditChainCheck: Sendable {
    public let path: String
    public let firstBreak: @Sendable () throws -> (line: Int, what: String)?

    public init(path: String, firstBreak: @escaping @Sendable () throws -> (line: Int, what: String)?) {
        self.path = path
        self.firstBreak = firstBreak
    }
}
