import ArgumentParser
import Archive
import Continuity
import Foundation
import LifeboatServer
import Replication

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "How much local storage rides out a PACS outage, how long the free space lasts, how long a restore takes.",
        discussion: """
            From the measured ingest history (studies, instances and bytes by hour, modality and
            weekday): the most that arrived in any window as long as the downtime, with a margin;
            the free space where the archive is kept and how many days it lasts at the mean and at
            the busiest weekday's rate; and, for each replication target, how long a full restore
            takes at its last passing drill's measured rate.

            Examples:
              lifeboat plan --downtime 48h --config /etc/lifeboat.yaml
              lifeboat plan --downtime 7d --margin 100 --data /var/lib/lifeboat --json
            """
    )

    @Option(help: "The outage to ride out: 48h, 7d, 90m.")
    var downtime: String

    @Option(help: "Extra storage on top of the busiest window, in percent.")
    var margin = 50

    @Option(help: "How many days of ingest history to learn from.")
    var historyDays = 28

    @OptionGroup var place: ArchivePlace

    @Flag(help: "The plan as JSON.")
    var json = false

    func run() async throws {
        guard let hours = CapacityPlan.hours(downtime) else { throw ValidationError("--downtime \(downtime): expected a length such as 48h, 7d or 90m") }
        guard (0...1000).contains(margin) else { throw ValidationError("--margin is a percentage from 0 to 1000") }
        guard (1...3650).contains(historyDays) else { throw ValidationError("--history-days is from 1 to 3650") }
        let settings = try place.settings()
        let catalog = try LocalArchive(root: settings.data).catalog
        let drills = try SQLiteDrillStore(pool: catalog.pool)
        let plan = try await CapacityPlan.make(catalog: catalog, replicas: try SQLiteReplicationStore(pool: catalog.pool), drills: drills, dataDirectory: settings.data, targets: settings.replicationTargets.map(\.name),
                                               downtimeHours: hours, marginPercent: margin, historyDays: historyDays)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
        } else {
            print(plan.text)
        }
    }
}
