import ArgumentParser
import Foundation
import LifeboatServer
import Protection

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a working archive from one s3 or filesystem target.",
        discussion: """
            The catalog comes back first (the newest catalog snapshot), then the blobs: the
            patients or studies named with --first and those received in the last 24 hours
            (found in the snapshot and in the change log written since it, however large the
            archive), then what the study manifests changed since the snapshot add, then newest
            study to oldest. Every blob is checked against its SHA-256, made durable a group at
            a time, and only then recorded. The progress line shows the last 24 hours and the
            whole apart, each with its estimate. With --as-of, the target is read as it stood at
            that moment: later snapshots, manifests and object versions (ransomware's) are left
            out. `lifeboat serve` may run on the data directory meanwhile: queries see the
            catalog, and a retrieve of an instance not yet back fetches it from the target.
            Interrupted, the same command goes on where it stopped.

            Examples:
              lifeboat restore --from offsite --config /etc/lifeboat.yaml --data /var/lib/lifeboat
              lifeboat restore --from offsite --config /etc/lifeboat.yaml --data /srv/new --as-of 2026-11-20T06:00:00Z
              lifeboat restore --from nas --config /etc/lifeboat.yaml --data /srv/new --first PAT-0042
              lifeboat restore --from offsite --config /etc/lifeboat.yaml --data /srv/new --as-of 2026-11-20T06:00:00Z --list
            """
    )

    @Option(help: "The target to restore from, by its name in the configuration.")
    var from: String

    @Option(help: "The configuration file that names the target.")
    var config: String

    @Option(help: "The data directory to rebuild (empty, or a restore's unfinished one).")
    var data: String

    @Option(help: "Restore the target as it stood at this moment (ISO 8601, e.g. 2026-11-20T06:00:00Z).")
    var asOf: String?

    @Option(help: "A patient ID or Study Instance UID to bring back first (repeatable).")
    var first: [String] = []

    @Option(help: "Blobs fetched at once.")
    var concurrency = 8

    @Flag(help: "Only list what the target held (at --as-of): its snapshot, change log, studies and blobs; nothing is written.")
    var list = false

    func run() async throws {
        let moment: Date?
        if let asOf {
            guard let parsed = try? Date(asOf, strategy: .iso8601) else { throw ValidationError("--as-of \(asOf): expected ISO 8601, e.g. 2026-11-20T06:00:00Z") }
            moment = parsed
        } else {
            moment = nil
        }
        let restorer: Restorer
        do {
            let settings = try Configuration.load(path: config)
            guard let spec = settings.replicationTargets.first(where: { $0.name == from }) else {
                throw CLIError("\(config) names no target \(from); its targets are \(settings.replicationTargets.map(\.name).joined(separator: ", "))")
            }
            restorer = Restorer(target: try spec.makeReadableTarget(), root: data)
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        }
        if list {
            let inventory = try await restorer.inventory(asOf: moment)
            print("\(from)\(asOf.map { " as of \($0)" } ?? ""): catalog snapshot \(inventory.snapshot ?? "none"), \(inventory.changeSegments) change log segments, \(inventory.studies.count) studies in manifests, \(inventory.blobs) blobs")
            print(["Last received", "Patient ID", "Study date", "Instances", "Study Instance UID"].joined(separator: "\t"))
            for study in inventory.studies {
                print([study.lastReceivedAt, study.patientID, study.studyDate, "\(study.instances.count)", study.studyInstanceUID].joined(separator: "\t"))
            }
            return
        }
        let shown = LastShown()
        let report: Restorer.Report
        do {
            report = try await restorer.run(.init(asOf: moment, first: Set(first), concurrency: concurrency)) { progress in
                guard shown.due() || progress.whole.done == progress.whole.total else { return }
                FileHandle.standardError.write(Data("\r\(Self.line(progress))   ".utf8))
            }
        } catch let error as Restorer.Failure {
            throw CLIError(error.description)
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("catalog: \(report.snapshot.map { "snapshot \($0)" } ?? "no snapshot"), searchable after \(String(format: "%.1f", report.catalogAfter)) s, \(report.beyondSnapshot) instances from the change log and manifests beyond it, \(report.versions) versions in all")
        print(String(format: "blobs: %d restored (%.1f MB), %d already here, %d found only as blobs, in %.1f s", report.restored,
                     Double(report.bytes) / 1e6, report.alreadyHere, report.stragglers, report.seconds))
        if let after = report.recentBackAfter {
            print(String(format: "the last 24 hours%@ (%d versions) were back after %.1f s (%.0f%% of the restore)", first.isEmpty ? "" : " and --first",
                         report.recentVersions, after, report.seconds > 0 ? after / report.seconds * 100 : 100))
        }
        if !report.failed.isEmpty {
            print("NOT restored (\(report.failed.count)):")
            for line in report.failed { print("  \(line)") }
            throw ExitCode(1)
        }
    }
}

extension Restore {
    /// "last 24 h: 120 of 200, about 3 s left · all: 300 of 150000, 12.3 MB, about 240 s left"
    static func line(_ progress: Restorer.Progress) -> String {
        func part(_ name: String, _ part: Restorer.Part) -> String {
            let left = part.finishedAfter != nil ? ", done" : part.estimate(fetching: progress.fetching).map { String(format: ", about %.0f s left", $0) } ?? ""
            return String(format: "%@: %d of %d, %.1f MB%@", name, part.done, part.total, Double(part.bytes) / 1e6, left)
        }
        if progress.phase == .catalog { return String(format: "catalog in place after %.1f s", progress.elapsed) }
        return part("last 24 h", progress.recent) + " · " + part("all", progress.whole) + (progress.phase == .stragglers ? " · blobs no list named" : "")
    }
}

/// Whether a second has passed since progress was last shown.
final class LastShown: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var last = Date.distantPast
    func due() -> Bool {
        lock.withLock {
            guard Date().timeIntervalSince(last) >= 1 else { return false }
            last = Date()
            return true
        }
    }
}
