#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

@main
struct Lifeboat: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "lifeboat",
        abstract: "A DICOM archive that never loses an acknowledged image.",
        discussion: """
            Examples:
              lifeboat serve --ae-title LIFEBOAT --dicom-port 11112 --data /var/lib/lifeboat
              lifeboat echo pacs.example.org 104 --aec PACS
              lifeboat send pacs.example.org 104 --aec PACS study/
              lifeboat dump image.dcm
              lifeboat import /mnt/usb
              lifeboat stats
              lifeboat catalog rebuild --data /var/lib/lifeboat
              lifeboat replication status --data /var/lib/lifeboat
              lifeboat verify --config /etc/lifeboat.yaml
              lifeboat restore --from offsite --config /etc/lifeboat.yaml --data /srv/lifeboat
              lifeboat drill --config /etc/lifeboat.yaml --newest-day
              lifeboat plan --downtime 48h --config /etc/lifeboat.yaml
              lifeboat downtime status --config /etc/lifeboat.yaml
              lifeboat failback --to PACS --since 2026-11-20T06:00:00Z --config /etc/lifeboat.yaml
              lifeboat user add jane --role radiologist
              lifeboat token create ohif --label "OHIF viewer"
            """,
        version: version,
        subcommands: [Serve.self, Echo.self, Send.self, Import.self, Stats.self, Dump.self, CatalogCommand.self, ReplicationCommand.self, Verify.self, Restore.self, DrillCommand.self, PlanCommand.self, DowntimeCommand.self, FailbackCommand.self, UserCommand.self, TokenCommand.self, AuditCommand.self, ConfigCommand.self]
    )

    /// Everything Lifeboat writes — images, catalogs, credentials' digests, the audit trail —
    /// is for the service's user alone: files 0600, folders 0700, whatever umask it was given.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
