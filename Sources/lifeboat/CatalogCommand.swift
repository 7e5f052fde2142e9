import Archive
import ArgumentParser
import Foundation

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Look after the catalog.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the catalog from the blobs alone.",
            discussion: """
                Every blob under blobs/ is checked against its SHA-256 and recorded from its own
                header, oldest first. The old catalog is kept beside the new one as
                catalog.sqlite.replaced-<time>. Run it with the server stopped.

                Example:
                  lifeboat catalog rebuild --data /var/lib/lifeboat
                """
        )

        @OptionGroup var directory: DataDirectory

        func run() async throws {
            guard FileManager.default.fileExists(atPath: directory.data + "/blobs") else {
                throw ValidationError("\(directory.data) has no blobs/ folder: not a Lifeboat data directory")
            }
            let (report, movedTo) = try await LocalArchive.rebuildCatalog(in: directory.data)
            if let movedTo { print("The old catalog is kept as \(movedTo)") }
            print("Recorded \(report.recataloged) blobs.")
            if !report.unreadable.isEmpty {
                print("Not recorded, unreadable or not matching their names (left in place):")
                for id in report.unreadable { print("  \(id)") }
            }
            if !report.unreadable.isEmpty { throw ExitCode(1) }
        }
    }
}
