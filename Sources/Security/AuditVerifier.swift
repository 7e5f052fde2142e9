import Archive
import Foundation

/// Walks an audit log's chain and names the first record that was altered, removed or
/// reordered.
public enum AuditVerifier {
    public struct Report: Sendable, Equatable {
        public var records: Int
        /// The first break: its line (from 1) and what is wrong there; nil for an intact chain.
        public var firstProblem: (line: Int, what: String)?
        public var head: String
        /// The bytes of a last line cut short before its newline (a crash or a full disk cut
        /// the write; `TornTail`): not a record, and not tampering. nil when the file ends whole.
        public var tornTail: Int? = nil

        public static func == (a: Report, b: Report) -> Bool {
            a.records == b.records && a.head == b.head && a.firstProblem?.line == b.firstProblem?.line && a.firstProblem?.what == b.firstProblem?.what
                && a.tornTail == b.tornTail
        }
    }

    public static func verify(path: String) throws -> Report {
        guard var data = FileManager.default.contents(atPath: path) else { throw AuditLog.Failure(description: "cannot read \(path)") }
        let torn = try TornTail.length(of: path)
        if let torn { data.removeLast(torn) }
        var report = try verify(data)
        report.tornTail = torn
        return report
    }

    static func verify(_ data: Data) throws -> Report {
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated().filter { !$0.element.isEmpty }
        let records = lines.map { try? JSONDecoder().decode(AuditRecord.self, from: Data($0.element)) }
        var previous = AuditRecord.genesis
        var count = 0
        for (position, (index, _)) in lines.enumerated() {
            let number = index + 1
            let expected = count + 1
            func broken(_ what: String) -> Report { Report(records: count, firstProblem: (number, what), head: previous) }
            guard let record = records[position] else { return broken("line \(number) is not an audit record: altered") }
            if record.computedHash() != record.hash {
                return broken("record \(record.sequence) (line \(number)) was altered: its contents no longer hash to its hash")
            }
            if record.sequence != expected {
                if records[(position + 1)...].contains(where: { $0?.sequence == expected }) {
                    return broken("records are out of order at line \(number): record \(record.sequence) stands where record \(expected) should")
                }
                if record.sequence > expected {
                    let missing = record.sequence == expected + 1 ? "record \(expected) was" : "records \(expected) to \(record.sequence - 1) were"
                    return broken("\(missing) removed before line \(number)")
                }
                return broken("record \(record.sequence) (line \(number)) is out of order")
            }
            if record.previous != previous {
                return broken("record \(record.sequence - 1) (line \(number - 1)) was altered or replaced: record \(record.sequence) is not chained to it")
            }
            previous = record.hash
            count += 1
        }
        return Report(records: count, firstProblem: nil, head: previous)
    }

    /// Whether the log still holds the record a copied head names, unchanged: nil if so,
    /// else what was done. Catches what the chain alone cannot — the newest records cut off,
    /// or the whole log rewritten and re-hashed.
    public static func check(path: String, against head: ChainHead) throws -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { throw AuditLog.Failure(description: "cannot read \(path)") }
        let records = data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(AuditRecord.self, from: Data($0)) }
        guard let record = records.first(where: { $0.sequence == head.sequence }) else {
            return "record \(head.sequence), the head copied from \(head.node) at \(head.time), is gone: the log ends at record \(records.last?.sequence ?? 0)"
        }
        guard record.hash == head.hash else {
            return "record \(head.sequence) is not the one copied from \(head.node) at \(head.time): the log was rewritten"
        }
        return nil
    }
}
