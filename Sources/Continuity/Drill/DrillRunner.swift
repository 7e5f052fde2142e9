import Archive
import Foundation
import Logging
import Replication

/// Runs drills against each readable target — on demand or on a schedule — and keeps their
/// evidence: a row in its store (`drill`) and the report as JSON in `<data>/drills/`. A
/// failed drill raises a critical alert; the next passing one resolves it.
public struct DrillRunner: Sendable {
    let replicas: any ReplicationStore
    let store: any DrillStore
    let targets: [any ReadableTarget]
    let alerter: Alerter?
    let dataDirectory: String
    let logger = Logger(label: "lifeboat.drill")

    public init(replicas: any ReplicationStore, store: any DrillStore, targets: [any ReadableTarget], alerter: Alerter?, dataDirectory: String) {
        self.replicas = replicas
        self.store = store
        self.targets = targets
        self.alerter = alerter
        self.dataDirectory = dataDirectory
    }

    public var targetNames: [String] { targets.map(\.name) }

    /// One drill per target (those named, or all), one after another.
    public func run(studies: Int, newestDay: Bool, only names: Set<String>? = nil) async -> [DrillReport] {
        var reports: [DrillReport] = []
        for target in targets where names?.contains(target.name) ?? true {
            let started = Date()
            let report: DrillReport
            do {
                report = try await Drill(replicas: replicas, target: target,
                                         options: .init(studies: studies, newestDay: newestDay, scratch: dataDirectory + "/tmp")).run()
            } catch {
                report = DrillReport(target: target.name, startedAt: started, seconds: Date().timeIntervalSince(started), passed: false, studies: [],
                                     newestDay: newestDay, instances: 0, bytes: 0, bytesPerSecond: 0, snapshot: nil, snapshotAgeSeconds: nil,
                                     fullRestoreSeconds: nil, last24HoursSeconds: nil, recoveryPointSeconds: 0,
                                     failures: [.init(blob: "", studyInstanceUID: "", problem: "the drill could not run: \(error)")])
            }
            await keep(report)
            reports.append(report)
        }
        return reports
    }

    /// Drills every `every`, counted from the last one recorded (the first an hour after
    /// start, once replication has had time to send something); every `newestDayEvery`th one
    /// restores the newest day too. A target that has confirmed nothing yet is left out.
    public func runScheduled(every: Duration, studies: Int, newestDayEvery: Int, firstAfter: Duration = .seconds(3600)) async {
        let started = Date()
        while !Task.isCancelled {
            let past = (try? await store.drills(limit: 10_000)) ?? []
            let due = past.first.map { $0.startedAt.addingTimeInterval(every.inSeconds) } ?? started.addingTimeInterval(firstAfter.inSeconds)
            if due > Date() {
                try? await Task.sleep(for: .seconds(min(due.timeIntervalSinceNow, 3600)))
                continue
            }
            let rounds = past.count / max(1, targets.count)
            var holding: Set<String> = []
            for target in targets where ((try? await replicas.confirmedTotals(target: target.name).versions) ?? 0) > 0 { holding.insert(target.name) }
            guard !holding.isEmpty else {
                try? await Task.sleep(for: .seconds(3600))
                continue
            }
            _ = await run(studies: studies, newestDay: newestDayEvery > 0 && rounds % newestDayEvery == 0, only: holding)
        }
    }

    private func keep(_ report: DrillReport) async {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json = (try? encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        do {
            try await store.record(drill: report.target, startedAt: report.startedAt, passed: report.passed, report: json)
            let folder = dataDirectory + "/drills"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let evidence = EvidenceFile(folder: folder, startedAt: report.startedAt, name: report.target)
            try Data(json.utf8).write(to: URL(fileURLWithPath: evidence.path("json")), options: .atomic)
        } catch {
            logger.error("cannot keep the drill's evidence: \(error)")
        }
        if report.passed {
            logger.notice("\(report.summary)")
            await alerter?.resolve(.drillFailed, subject: report.target, summary: "the recovery drill from \(report.target) passed", detail: report.summary)
        } else {
            logger.critical("\(report.summary)")
            let problems = report.failures.prefix(5).map { "\($0.blob.isEmpty ? "" : "\($0.blob.prefix(16))… ")\($0.problem)" }
            await alerter?.raise(Alert(.drillFailed, subject: report.target, severity: .critical,
                                       summary: "the recovery drill from \(report.target) failed: \(report.failures.count) problem\(report.failures.count == 1 ? "" : "s")",
                                       detail: ([report.summary] + problems).joined(separator: "\n")))
        }
    }
}
