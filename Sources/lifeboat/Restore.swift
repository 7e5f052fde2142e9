import ArgumentParser
import Foundation
import LifeboatServer
import Protection

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a working archive from one s3 or filesystem target.",
        discussion: """
            The catalog comes back first (the newest catalog snapshot, then the instances the
            study manifests list beyond it), then the blobs: the patients or studies named with
            --first, then those received in the last 24 hours, then newest study to oldest. Every
            blob is checked against its SHA-256. With --as-of, the target is read as it stood at
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
                guard shown.due() || progress.done == progress.total else { return }
                let left = progress.estimate.map { String(format: ", about %.0f s left", $0) } ?? ""
                FileHandle.standardError.write(Data(String(format: "\r%@: %d of %d, %.1f MB%@   ", progress.phase, progress.done, progress.total,
                                                           Double(progress.bytes) / 1e6, left).utf8))
            }
        } catch let error as Restorer.Failure {
            throw CLIError(error.description)
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("catalog: \(report.snapshot.map { "snapshot \($0)" } ?? "no snapshot"), \(report.beyondSnapshot) instances from the change log and manifests beyond it, \(report.versions) versions in all")
        print(String(format: "blobs: %d restored (%.1f MB), %d already here, %d found only as blobs, in %.1f s", report.restored,
                     Double(report.bytes) / 1e6, report.alreadyHere, report.stragglers, report.seconds))
        if let after = report.recentBackAfter {
            print(String(format: "the last 24 hours (%d versions) were back after %.1f s (%.0f%% of the restore)", report.recentVersions, after,
                         report.seconds > 0 ? after / report.seconds * 100 : 100))
        }
        if !report.failed.isEmpty {
            print("NOT restored (\(report.failed.count)):")
            for line in report.failed { print("  \(line)") }
            throw ExitCode(1)
        }
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
