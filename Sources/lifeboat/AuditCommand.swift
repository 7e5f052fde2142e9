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
                broken, printing where.

                Example:
                  lifeboat audit verify --data /var/lib/lifeboat
                """
        )

        @Option(help: "The data directory (its audit/audit.log).")
        var data = "lifeboat-data"

        func run() async throws {
            let path = data + "/audit/audit.log"
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no audit log here") }
            let report = try AuditVerifier.verify(path: path)
            if let problem = report.firstProblem {
                let intact = report.records == 1 ? "1 record" : "\(report.records) records"
                print("audit log TAMPERED at line \(problem.line): \(problem.what) (\(intact) intact before it)")
                throw ExitCode(1)
            }
            print("audit log intact: \(report.records) records, head \(report.head)")
        }
    }
}
