import Archive
import ArgumentParser
import Foundation

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What the archive holds: counts and sizes by modality and by day.",
        discussion: """
            Sizes count every stored version. Days are those the instances arrived on (UTC).

            Example:
              lifeboat stats --data /var/lib/lifeboat
            """
    )

    @OptionGroup var directory: DataDirectory

    @Option(help: "How many days to list, newest first.")
    var days = 30

    func run() async throws {
        let path = LocalArchive.catalogPath(in: directory.data)
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no catalog here") }
        let catalog = try Catalog(path: path)
        let counts = try await catalog.counts()
        print("\(counts.patients) patients, \(counts.studies) studies, \(counts.series) series, \(counts.instances) instances, \(counts.versions) versions")
        print()
        print(Self.table("Modality", try await catalog.tallyByModality()))
        print()
        print(Self.table("Day", Array(try await catalog.tallyByDay().prefix(days))))
    }

    static func table(_ heading: String, _ rows: [Catalog.Tally]) -> String {
        let pad = { (text: String, width: Int) in String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = ["\(heading.padding(toLength: 12, withPad: " ", startingAt: 0))\(pad("Instances", 11))\(pad("Versions", 10))\(pad("Size", 12))"]
        for row in rows {
            let key = row.key.isEmpty ? "(none)" : row.key
            lines.append("\(key.padding(toLength: 12, withPad: " ", startingAt: 0))\(pad("\(row.instances)", 11))\(pad("\(row.versions)", 10))\(pad(size(row.bytes), 12))")
        }
        return lines.joined(separator: "\n")
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
