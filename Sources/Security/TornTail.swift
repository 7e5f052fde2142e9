#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The audit log's last line when a write was cut short — a crash, or a full disk — before
/// its newline: not a record, and not tampering (the chain before it holds). It is set aside
/// as evidence in `torn-<time>.log` beside the log, never dropped, and the log cut back to
/// its last whole record so the chain can go on.
public enum TornTail {
    public struct SetAside: Sendable, Equatable {
        public let bytes: Int
        public let evidence: String
    }

    /// How many bytes after the last newline, if the file does not end with one; nil if it does.
    public static func length(of path: String) throws -> Int? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        let end = try file.seekToEnd()
        guard end > 0 else { return nil }
        // A record is far shorter than 1 MiB: a newline is within reach unless the tail is torn.
        let start = end > 1 << 20 ? end - (1 << 20) : 0
        try file.seek(toOffset: start)
        let tail = try file.readToEnd() ?? Data()
        guard tail.last != UInt8(ascii: "\n") else { return nil }
        guard let newline = tail.lastIndex(of: UInt8(ascii: "\n")) else { return start == 0 ? tail.count : nil }
        return tail.count - (newline - tail.startIndex) - 1
    }

    /// Sets a torn tail aside (written and synced to its evidence file first), then cuts the log
    /// back to its last whole line; nil when there was none.
    static func setAside(in path: String, at time: Date = Date()) throws(AuditLog.Failure) -> SetAside? {
        do {
            guard let count = try length(of: path) else { return nil }
            let size = Int((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
            guard let file = FileHandle(forUpdatingAtPath: path) else { throw AuditLog.Failure(description: "cannot open \(path)") }
            defer { try? file.close() }
            try file.seek(toOffset: UInt64(size - count))
            let tail = try file.readToEnd() ?? Data()
            let stamp = time.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.omitted)
                .dateSeparator(.omitted).dateTimeSeparator(.standard))
            let evidence = (path as NSString).deletingLastPathComponent + "/torn-\(stamp).log"
            guard FileManager.default.createFile(atPath: evidence, contents: tail, attributes: [.posixPermissions: 0o600]) else {
                throw AuditLog.Failure(description: "cannot write \(evidence): the torn tail of \(path) is left where it is")
            }
            let kept = open(evidence, O_RDONLY)
            if kept >= 0 { _ = fsync(kept); _ = close(kept) }
            try file.truncate(atOffset: UInt64(size - count))
            try file.synchronize()
            return SetAside(bytes: count, evidence: evidence)
        } catch let failure as AuditLog.Failure {
            throw failure
        } catch {
            throw AuditLog.Failure(description: "cannot set aside the torn tail of \(path): \(error)")
        }
    }
}
