import Archive
import ArgumentParser
import Continuity
import Foundation
import LifeboatServer
import Security

struct FailbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failback",
        abstract: "Give a restored PACS back every instance it lacks, newest studies first, each one confirmed.",
        discussion: """
            Every study held here is compared with the PACS by C-FIND (study, series, then
            instance level); what it lacks goes by C-STORE — studies received during the outage
            first, newest first, then any other study it lacks —, a few studies an association,
            and is then confirmed by Storage Commitment (or, when the PACS offers none, by query).
            The PACS may send the commitment report on the same association or on one it opens
            to this node's ae-title at dicom-port: lifeboat serve takes it there and keeps it in
            the catalog, where this command finds it; when serve is not running, this command
            listens on dicom-port itself while it runs.
            Interrupted? Run it again: only what is still missing is sent. The report lists
            what was sent, confirmed and refused, and why; it is kept as JSON in
            <data>/failback/. Exits with 1 when anything is left unsent or unconfirmed.

            Examples:
              lifeboat failback --to PACS --since 2026-11-20T06:00:00Z --config /etc/lifeboat.yaml
              lifeboat failback --to PACS@10.0.0.5:104 --data /var/lib/lifeboat --concurrency 4
            """
    )

    @Option(help: "The PACS: an AE title from dicom-nodes, or AE@host:port.")
    var to: String

    @Option(help: "When the outage began (ISO 8601): studies received since then go first, as do those received during the PACS's recorded downtimes.")
    var since: String?

    @OptionGroup var place: ArchivePlace

    @Option(help: "Associations sending at once, each carrying a few studies.")
    var concurrency = 2

    @Option(help: "Seconds to wait for a Storage Commitment report, on whichever association it comes.")
    var commitTimeout = 60

    func run() async throws {
        guard (1...32).contains(concurrency) else { throw ValidationError("--concurrency is from 1 to 32") }
        guard (1...3600).contains(commitTimeout) else { throw ValidationError("--commit-timeout is from 1 to 3600 seconds") }
        var start: Date?
        if let since {
            let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            guard let parsed = (try? Date(since, strategy: .iso8601)) ?? (try? withFraction.parse(since)), parsed <= Date() else {
                throw ValidationError("--since \(since): expected an ISO 8601 time in the past, e.g. 2026-11-20T06:00:00Z")
            }
            start = parsed
        }
        let settings = try place.settings()
        let actor = localActor()
        let node = LifeboatNode(configuration: settings)
        let (failback, audit): (Failback, AuditLog)
        do {
            (failback, audit) = try await node.failback(to: to, since: start, concurrency: concurrency, commitTimeout: .seconds(commitTimeout))
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        }
        // A PACS may report commitment on an association it opens to our DICOM port (PS3.4
        // J.3.3): lifeboat serve takes it there into the catalog, where this run looks; without
        // a server, this run listens on the port itself.
        let stopListening = await node.listenForCommitmentReports()
        defer { stopListening?() }
        print(stopListening == nil
              ? "commitment reports the PACS sends on an association of its own reach this run through lifeboat serve on DICOM port \(settings.dicomPort)"
              : "listening on DICOM port \(settings.dicomPort) for the commitment reports the PACS sends on an association of its own")
        let folder = settings.data + "/failback"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let evidence = EvidenceFile(folder: folder, startedAt: Date(), name: to.split(separator: "@").first.map(String.init) ?? to)
        let journal = evidence.path("jsonl")
        _ = FileManager.default.createFile(atPath: journal, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let report: FailbackReport
        do {
            report = try await failback.run { study in
                let line = "\(study.duringDowntime ? "downtime" : "earlier ") study \(study.studyInstanceUID): \(study.sent)/\(study.missing) sent, "
                    + "\(study.confirmed) confirmed (\(study.confirmedBy.rawValue))"
                    + (study.refused.isEmpty ? "" : ", \(study.refused.count) refused") + (study.unconfirmed.isEmpty ? "" : ", \(study.unconfirmed.count) not confirmed")
                    + (study.transcoded.map { ", \($0.count) sent decoded" } ?? "")
                print(line)
                if let json = try? encoder.encode(study) { try? handle.write(contentsOf: json + Data("\n".utf8)) }
                try? await LifeboatNode.recordFailback(study, to: to, in: audit, actor: actor)
            }
        } catch let error as FailbackError {
            try? handle.close()
            throw CLIError("\(error)")
        }
        try handle.synchronize()
        try handle.close()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(report).write(to: URL(fileURLWithPath: evidence.path("json")), options: .atomic)
        print(report.summary)
        print("report: \(evidence.path("json"))")
        if !report.isComplete { throw ExitCode(1) }
    }
}
