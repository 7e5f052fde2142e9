import Foundation
@testable import Security
import TestSupport
import Testing

/// The hash-chained audit log: appended, read back intact, and every kind of tampering found
/// at the record where it happened.
@Suite struct AuditChainTests {
    static func log(_ records: Int) throws -> (AuditLog, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        let log = try AuditLog(directory: directory)
        for index in 1...records {
            try log.append(index % 2 == 0 ? .query : .store, actor: "CT\(index)", source: "10.0.0.\(index)", subject: "P\(index)", detail: "record \(index)")
        }
        return (log, directory)
    }

    /// The log's lines, changed by `edit`, written back.
    static func tamper(_ path: String, _ edit: (inout [String]) -> Void) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        edit(&lines)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func anIntactLogVerifiesAndAReopenedLogContinuesItsChain() throws {
        let (log, directory) = try Self.log(5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let head = log.head
        let reopened = try AuditLog(directory: directory)
        #expect(reopened.head == head)
        let sixth = try reopened.append(.loginFailed, succeeded: false, actor: "mallory", source: "10.6.6.6", detail: "wrong password")
        #expect(sixth.sequence == 6 && sixth.previous == head)
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.records == 6 && report.firstProblem == nil && report.head == sixth.hash)
    }

    /// The server and the command line (`lifeboat user disable` while serving) each hold the
    /// log open: every append carries on the chain the other left, never a stale head.
    /// A last line a crash or a full disk cut before its newline is named as such by the
    /// verifier (not tampering), then set aside as evidence when the log is next opened — with
    /// a record saying so — and the chain goes on from the last whole record.
    @Test func aTornLastLineIsSetAsideAndTheChainGoesOn() throws {
        let (log, directory) = try Self.log(3)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let head = log.head
        let torn = Data(#"{"sequence":4,"time":"2026-12-06T20:00:00Z","act"#.utf8)
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: torn)
        try handle.close()
        let before = try AuditVerifier.verify(path: log.path)
        #expect(before.firstProblem == nil && before.records == 3 && before.tornTail == torn.count)

        let reopened = try AuditLog(directory: directory)
        let evidence = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("torn-") }
        #expect(evidence.count == 1)
        #expect(FileManager.default.contents(atPath: directory + "/" + evidence[0]) == torn, "kept byte for byte")
        let after = try AuditVerifier.verify(path: log.path)
        #expect(after.firstProblem == nil && after.tornTail == nil && after.records == 4)
        let records = try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
        #expect(records[3].previous == head && records[3].detail.contains("a torn last line of \(torn.count) bytes after record 3"))
        #expect(records[3].detail.contains(evidence[0]))
        _ = try reopened.append(.query, actor: "CT9", source: "10.0.0.9")
        #expect(try AuditVerifier.verify(path: log.path).records == 5)
    }

    @Test func twoWritersOfOneLogKeepOneChain() async throws {
        let (server, directory) = try Self.log(1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let commandLine = try AuditLog(directory: directory)
        for round in 0..<5 {
            try commandLine.append(.administration, actor: "root", source: "local", subject: "user\(round)", detail: "user disabled")
            try await server.record(.init(.view, actor: "reader", source: "10.0.0.1"))
            server.note(.init(.store, actor: "CT1", source: "10.0.0.7"))
            try server.append(.login, actor: "jane", source: "10.0.0.2")
        }
        try await Polling.waitUntil(seconds: 30) { try AuditVerifier.verify(path: server.path).records == 21 }
        let report = try AuditVerifier.verify(path: server.path)
        #expect(report.firstProblem == nil, "\(report.firstProblem.map { "\($0.line): \($0.what)" } ?? "")")
        #expect(report.head == server.head)
    }

    @Test func anEditedRecordIsFoundWhereItWasEdited() throws {
        let (log, directory) = try Self.log(5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.tamper(log.path) { $0[2] = $0[2].replacingOccurrences(of: "\"actor\":\"CT3\"", with: "\"actor\":\"CT9\"") }
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.firstProblem?.line == 3 && report.firstProblem?.what.contains("record 3 (line 3) was altered") == true, "\(String(describing: report.firstProblem))")
        #expect(report.records == 2)
    }

    @Test func anEditWithItsHashRecomputedIsFoundByTheNextRecordsLink() throws {
        let (log, directory) = try Self.log(5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.tamper(log.path) { lines in
            var record = try! JSONDecoder().decode(AuditRecord.self, from: Data(lines[1].utf8))
            record.subject = "someone else"
            record.hash = record.computedHash()
            lines[1] = String(decoding: record.line().dropLast(), as: UTF8.self)
        }
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.firstProblem?.what == "record 2 (line 2) was altered or replaced: record 3 is not chained to it")
    }

    @Test func aRemovedRecordIsFoundWhereItWas() throws {
        let (log, directory) = try Self.log(5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.tamper(log.path) { $0.remove(at: 3) }
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.firstProblem?.line == 4 && report.firstProblem?.what == "record 4 was removed before line 4")
    }

    @Test func reorderedRecordsAreFoundWhereTheOrderBreaks() throws {
        let (log, directory) = try Self.log(5)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.tamper(log.path) { $0.swapAt(1, 3) }
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.firstProblem?.line == 2 && report.firstProblem?.what == "records are out of order at line 2: record 4 stands where record 2 should")
    }

    @Test func garbageInTheLogIsNamed() throws {
        let (log, directory) = try Self.log(3)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.tamper(log.path) { $0[0] = "not json" }
        #expect(try AuditVerifier.verify(path: log.path).firstProblem?.what == "line 1 is not an audit record: altered")
    }
}

/// Records appended at the same moment by a server share one flush and still form one chain.
@Suite struct AuditGroupCommitTests {
    @Test func concurrentRecordsFormOneUnbrokenChain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try AuditLog(directory: directory)
        try await withThrowingTaskGroup(of: AuditRecord.self) { group in
            for index in 0..<200 {
                group.addTask { try await log.record(.init(.view, actor: "reader\(index % 7)", source: "10.0.0.1", subject: "P\(index)")) }
            }
            var sequences: [Int] = []
            for try await record in group { sequences.append(record.sequence) }
            #expect(sequences.sorted() == Array(1...200))
        }
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.records == 200 && report.firstProblem == nil && report.head == log.head)
    }

    @Test func notedRecordsReachTheFileAndKeepTheChainWithAwaitedOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try AuditLog(directory: directory)
        log.note(.init(.store, actor: "CT1", source: "10.0.0.7", subject: "SOPInstanceUID=1.2.3"))
        try await Polling.waitUntil(seconds: 30) { try String(contentsOfFile: log.path, encoding: .utf8).contains("SOPInstanceUID=1.2.3") } // the first note alone
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask {
                    if index % 2 == 0 {
                        log.note(.init(.store, actor: "CT\(index)", source: "10.0.0.7"))
                    } else {
                        do {
                            _ = try await log.record(.init(.view, actor: "reader\(index)", source: "10.0.0.1"))
                        } catch {
                            Issue.record("an awaited record failed: \(error)")
                        }
                    }
                }
            }
        }
        do {
            try await Polling.waitUntil(seconds: 30) { try AuditVerifier.verify(path: log.path).records == 101 }
        } catch {
            // Seen once in CI under full load, never alone: say what the file held.
            let report = try AuditVerifier.verify(path: log.path)
            Issue.record("after 30 s: \(report.records) records, problem \(report.firstProblem.map { "\($0.line): \($0.what)" } ?? "none"), lines \((try? String(contentsOfFile: log.path, encoding: .utf8))?.split(separator: "\n").count ?? -1)")
            throw error
        }
        let report = try AuditVerifier.verify(path: log.path)
        #expect(report.records == 101 && report.firstProblem == nil && report.head == log.head)
    }
}
