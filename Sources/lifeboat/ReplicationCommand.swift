import Archive
import ArgumentParser
import Foundation
import Replication

struct ReplicationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replication",
        abstract: "How the copies at the replication targets stand, and putting set-aside versions back in line.",
        subcommands: [Status.self, Retry.self]
    )

    /// Replication's store in the catalog's database under `data`.
    static func store(in data: String) throws -> any ReplicationStore {
        let path = LocalArchive.catalogPath(in: data)
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no catalog here") }
        return try SQLiteReplicationStore(pool: Catalog(path: path).pool)
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per target: versions queued, versions failed for good, the recovery point, throughput and the last error.",
            discussion: """
                The recovery point is how much of the most recent acquisitions a target would lack
                if this site were lost now: the age of the oldest version it is still owed.
                Exits with 1 when a target has versions failed for good.

                Examples:
                  lifeboat replication status --data /var/lib/lifeboat
                  lifeboat replication status --json
                """
        )

        @OptionGroup var directory: DataDirectory

        @Flag(help: "Print JSON, as GET /api/replication/status does.")
        var json = false

        func run() async throws {
            let targets = try await ReplicationCommand.store(in: directory.data).replicationStatus()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(targets), as: UTF8.self))
            } else if targets.isEmpty {
                print("no replication targets: add replication-targets to the configuration (lifeboat config example)")
            } else {
                print(["Target", "Queued", "Failed", "Recovery point", "Last minute", "Last success", "Last error"].joined(separator: "\t"))
                for target in targets {
                    let point = target.queueDepth + target.permanentFailures == 0 ? "current" : String(format: "%.1f s", target.recoveryPointSeconds)
                    print([target.name + (target.active ? "" : " (inactive)"), "\(target.queueDepth)", "\(target.permanentFailures)", point,
                           "\(target.replicatedLastMinute)", target.lastSuccessAt ?? "never", target.lastError ?? ""].joined(separator: "\t"))
                }
            }
            if targets.contains(where: { $0.permanentFailures > 0 }) { throw ExitCode(1) }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put the versions a target failed for good back in its queue, once the cause is fixed.",
            discussion: """
                Example:
                  lifeboat replication retry pacs --data /var/lib/lifeboat
                """
        )

        @Argument(help: "The target's name, as in the configuration.")
        var target: String

        @OptionGroup var directory: DataDirectory

        func run() async throws {
            let store = try ReplicationCommand.store(in: directory.data)
            guard try await store.replicationStatus().contains(where: { $0.name == target }) else {
                throw CLIError("no replication target named \(target) in this catalog")
            }
            print("\(try await store.retryPermanentFailures(target: target)) versions are queued again for \(target)")
        }
    }
}
