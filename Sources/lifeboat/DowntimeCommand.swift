import Archive
import ArgumentParser
import Continuity
import Foundation
import LifeboatServer
import Security

struct DowntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "downtime",
        abstract: "Open, close and list downtime incidents of the PACS.",
        discussion: """
            The PACS watch (pacs-watch in the configuration) opens and closes downtimes by itself;
            these commands are for an outage the watch cannot see (a PACS that answers but whose
            viewers are down, planned maintenance). What arrives during a downtime goes back
            first at failback.

            Examples:
              lifeboat downtime start --node PACS --reason "PACS database restore" --config /etc/lifeboat.yaml
              lifeboat downtime status --config /etc/lifeboat.yaml
              lifeboat downtime end --node PACS --config /etc/lifeboat.yaml
            """,
        subcommands: [Start.self, End.self, Status.self]
    )

    struct Place: ParsableArguments {
        @OptionGroup var archive: ArchivePlace

        func open() throws -> (any DowntimeStore, Configuration) {
            let settings = try archive.settings()
            return (try SQLiteDowntimeStore(pool: LocalArchive(root: settings.data).catalog.pool), settings)
        }

        /// The node named, else the first watched, else the only dicom-node.
        func node(_ named: String?, in settings: Configuration) throws -> String {
            if let named { return named }
            if let first = settings.pacsWatch.first { return first }
            if settings.dicomNodes.count == 1 { return settings.dicomNodes[0].aeTitle.value }
            throw ValidationError("name the node with --node (no pacs-watch in the configuration)")
        }
    }

    static func describe(_ downtime: Downtime) -> String {
        let format = Date.ISO8601FormatStyle()
        let length = TimeLength.text((downtime.endedAt ?? Date()).timeIntervalSince(downtime.startedAt))
        let end = downtime.endedAt.map { "ended \(format.format($0)) by \(downtime.endedBy ?? "?")" } ?? "still open"
        return "\(downtime.node): from \(format.format(downtime.startedAt)) (\(downtime.startedBy)), \(end), \(length) — \(downtime.reason)"
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a downtime of the PACS now (nothing changes if one is open).")
        @OptionGroup var place: Place
        @Option(help: "The node: an AE title (default: the first in pacs-watch).")
        var node: String?
        @Option(help: "Why, for the record.")
        var reason = "declared by an operator"

        func run() async throws {
            let (downtimes, settings) = try place.open()
            let name = try place.node(node, in: settings)
            let downtime = try await downtimes.startDowntime(node: name, by: localActor(), reason: reason)
            try NodeSecurity(data: settings.data).audit.append(.administration, actor: localActor(), source: "local", subject: "downtime \(name)",
                                                                 detail: "downtime started: \(reason)")
            print(DowntimeCommand.describe(downtime))
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close the PACS's open downtime now.")
        @OptionGroup var place: Place
        @Option(help: "The node: an AE title (default: the first in pacs-watch).")
        var node: String?

        func run() async throws {
            let (downtimes, settings) = try place.open()
            let name = try place.node(node, in: settings)
            guard let downtime = try await downtimes.endDowntime(node: name, by: localActor()) else {
                throw CLIError("\(name) has no open downtime")
            }
            try NodeSecurity(data: settings.data).audit.append(.administration, actor: localActor(), source: "local", subject: "downtime \(name)",
                                                                 detail: "downtime ended")
            print(DowntimeCommand.describe(downtime))
            print("next: lifeboat failback --to \(name) once the PACS is restored")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each watched node's state, and the downtimes, newest first.")
        @OptionGroup var place: Place

        func run() async throws {
            let (downtimes, _) = try place.open()
            let format = Date.ISO8601FormatStyle()
            for event in try await downtimes.latestNodeEvents() {
                print("\(event.node) is \(event.state.rawValue) since \(format.format(event.at)): \(event.detail)")
            }
            let recent = try await downtimes.downtimes(limit: 20)
            if recent.isEmpty { print("no downtimes recorded") }
            for downtime in recent { print(DowntimeCommand.describe(downtime)) }
        }
    }
}
