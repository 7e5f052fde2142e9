import ArgumentParser
import Continuity
import Foundation
import LifeboatServer

struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Prove recovery works: restore a random sample of studies from each target, hash every byte, time it.",
        discussion: """
            For each s3 and filesystem target of the configuration (or those named), studies picked
            at random — and with --newest-day everything received in the last 24 hours — are read
            back into a scratch directory and each copy hashed against its name; the newest catalog
            snapshot is read back too. It prints, per target, pass or fail, the rate measured, what a
            full restore and the last 24 hours would take at that rate, and the recovery point. The
            evidence is kept in the catalog and as JSON in <data>/drills/; a failed drill raises an
            alert. Nothing is written outside the scratch directory. Exits with 1 when a drill fails.

            Examples:
              lifeboat drill --config /etc/lifeboat.yaml
              lifeboat drill --config /etc/lifeboat.yaml --target offsite --studies 20 --newest-day
            """
    )

    @OptionGroup var place: ArchivePlace

    @Option(help: "Drill only this target (repeatable).")
    var target: [String] = []

    @Option(help: "How many studies, picked at random, to restore from each target.")
    var studies = 5

    @Flag(help: "Restore everything received in the last 24 hours too.")
    var newestDay = false

    func run() async throws {
        guard (1...10_000).contains(studies) else { throw ValidationError("--studies is from 1 to 10000") }
        let settings = try place.settings()
        let runner: DrillRunner
        do {
            runner = try LifeboatNode(configuration: settings).drillRunner()
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        }
        guard !runner.targetNames.isEmpty else { throw CLIError("no s3 or filesystem target in the configuration to drill") }
        if let unknown = target.first(where: { !runner.targetNames.contains($0) }) {
            throw CLIError("\(unknown) is not an s3 or filesystem target of the configuration (\(runner.targetNames.joined(separator: ", ")))")
        }
        let reports = await runner.run(studies: studies, newestDay: newestDay, only: target.isEmpty ? nil : Set(target))
        for report in reports {
            print(report.summary)
            for failure in report.failures {
                print("  \(failure.blob.isEmpty ? "" : "\(failure.blob) (study \(failure.studyInstanceUID)): ")\(failure.problem)")
            }
        }
        if reports.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}
