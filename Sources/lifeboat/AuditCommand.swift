import Archive
import ArgumentParser
import Foundation
import Security

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The tamper-evident audit trail.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log's hash chain; name the first record altered, removed or reordered.",
            discussion: """
                Each record carries the SHA-256 of the one before. Exits with 1 when the chain is
                broken, printing where. With --head, also checks that the log still holds a head
                copied to a replication target: a log cut short or rewritten whole shows there.
                A last line cut short before its newline — a write a crash or a full disk
                interrupted — is named as such, not as tampering: lifeboat serve sets it aside
                (audit/torn-<time>.log) at its next start and records that it did.

                Example:
                  lifeboat audit verify --data /var/lib/lifeboat
                  lifeboat audit verify --head /mnt/nas/lifeboat/audit/20261122T170000Z.json
                """
        )

        @OptionGroup var directory: DataDirectory

        @Option(help: "A head copied to a replication target (audit/<time>.json there): the log must still hold that record.")
        var head: [String] = []

        func run() async throws {
            let path = directory.data + "/audit/audit.log"
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no audit log here") }
            let report = try AuditVerifier.verify(path: path)
            if let problem = report.firstProblem {
                let intact = report.records == 1 ? "1 record" : "\(report.records) records"
                print("audit log TAMPERED at line \(problem.line): \(problem.what) (\(intact) intact before it)")
                throw ExitCode(1)
            }
            for file in head {
                guard let bytes = FileManager.default.contents(atPath: file), let copied = try? JSONDecoder().decode(ChainHead.self, from: bytes) else {
                    throw CLIError("\(file): not an audit head (audit/<time>.json from a replication target)")
                }
                if let problem = try AuditVerifier.check(path: path, against: copied) {
                    print("audit log TAMPERED: \(problem)")
                    throw ExitCode(1)
                }
            }
            let checked = head.isEmpty ? "" : ", holding the \(head.count == 1 ? "copied head" : "\(head.count) copied heads")"
            print("audit log intact: \(report.records) records, head \(report.head)\(checked)")
            if let torn = report.tornTail {
                print("then a torn last line of \(torn) bytes: a write cut short by a crash or a full disk, not tampering; "
                      + "lifeboat serve sets it aside at its next start")
            }
            let setAside = ((try? FileManager.default.contentsOfDirectory(atPath: directory.data + "/audit")) ?? []).filter { $0.hasPrefix("torn-") }.sorted()
            if !setAside.isEmpty { print("torn lines set aside earlier (each recorded in the log): \(setAside.joined(separator: ", "))") }
        }
    }
}
