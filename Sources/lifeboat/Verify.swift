import Archive
import ArgumentParser
import Foundation
import LifeboatServer
import Protection

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every copy now — local blobs and each target's — and heal the bad ones.",
        discussion: """
            Each local blob is read and hashed. Each copy at an s3 or filesystem target of the
            configuration is asked after (size, the target's own checksum, object lock) and read
            back whole. A bad copy is put right from a good one and the heal recorded in the audit
            trail; one with no good copy anywhere is reported. Safe beside a running server.
            Exits with 1 when a bad copy is left.

            Examples:
              lifeboat verify --data /var/lib/lifeboat --config /etc/lifeboat.yaml
              lifeboat verify --sample 5 --no-heal
            """
    )

    @OptionGroup var place: ArchivePlace

    @Option(help: "Check this percentage of the versions, picked at random.")
    var sample: Double = 100

    @Option(help: "Read back whole this percentage of the copies at targets (the rest are checked by what the target says of them).")
    var readBack: Int = 100

    @Flag(help: "Report bad copies without healing them.")
    var noHeal = false

    @Flag(help: "Only the local blobs: the targets are neither checked nor asked for a good copy.")
    var localOnly = false

    func run() async throws {
        guard (0...100).contains(sample), sample > 0 else { throw ValidationError("--sample is a percentage above 0, up to 100") }
        guard (0...100).contains(readBack) else { throw ValidationError("--read-back is a percentage from 0 to 100") }
        let settings = try place.settings()
        let (scrubber, archive): (Scrubber, LocalArchive)
        do {
            (scrubber, archive) = try LifeboatNode(configuration: settings).scrubber(actor: localActor(), heal: !noHeal, localOnly: localOnly)
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        }
        let versions = try await archive.catalog.scrubTotals().versions
        var failed = false
        for place in scrubber.places {
            let progress = Progress(total: Int((Double(versions) * sample / 100).rounded()))
            let options = Scrubber.PassOptions(sample: sample / 100, readBackEvery: readBack == 0 ? 0 : max(1, 100 / readBack),
                                               parallelism: ProcessInfo.processInfo.activeProcessorCount, progress: { progress.advance(failed: $0) })
            let report = await scrubber.pass(over: place, options: options)
            progress.finish()
            print(report.summary)
            if let error = report.error { print("  stopped early: \(error)") }
            for finding in report.findings where finding.healedAt == nil {
                let state = finding.unrecoverable ? "NO GOOD COPY" : localOnly ? "not healed (--local-only: the targets were not looked at)" : "not healed"
                print("  \(state): \(finding.blob) \(finding.problem.rawValue)")
            }
            failed = failed || report.error != nil || report.findings.contains { $0.healedAt == nil }
        }
        if failed { throw ExitCode(1) }
    }
}
