#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOConcurrencyHelpers

/// The audit trail of one node: `audit/audit.log` in the data directory, one JSON record a
/// line, append-only, each chained to the one before (`AuditRecord`) and flushed to disk
/// before `append` returns.
public final class AuditLog: Sendable {
    public let path: String
    private struct State {
        var fd: Int32
        var sequence: Int
        var head: String
    }

    private let state: NIOLockedValueBox<State>

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens (creating if need be) the log in `directory`, continuing its chain.
    public init(directory: String) throws(Failure) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(directory): \(error)")
        }
        path = directory + "/audit.log"
        let last = try Self.lastRecord(of: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        state = NIOLockedValueBox(State(fd: fd, sequence: last?.sequence ?? 0, head: last?.hash ?? AuditRecord.genesis))
    }

    deinit { state.withLockedValue { _ = close($0.fd) } }

    /// The hash of the newest record: what is copied elsewhere so a rewritten log shows.
    public var head: String { state.withLockedValue { $0.head } }

    /// Appends a record and flushes it; returns it as written.
    @discardableResult
    public func append(_ action: AuditRecord.Action, succeeded: Bool = true, actor: String, source: String, subject: String = "", detail: String = "",
                       at time: Date = Date()) throws(Failure) -> AuditRecord {
        let result: Result<AuditRecord, Failure> = state.withLockedValue { state in
            let record = AuditRecord(sequence: state.sequence + 1, time: time, action: action, succeeded: succeeded, actor: actor, source: source,
                                     subject: subject, detail: detail, previous: state.head)
            let line = record.line()
            let written = line.withUnsafeBytes { write(state.fd, $0.baseAddress, $0.count) }
            guard written == line.count, fsync(state.fd) == 0 else {
                return .failure(Failure(description: "cannot append to \(path): \(String(cString: strerror(errno)))"))
            }
            state.sequence = record.sequence
            state.head = record.hash
            return .success(record)
        }
        return try result.get()
    }

    static func lastRecord(of path: String) throws(Failure) -> AuditRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let line = data.split(separator: UInt8(ascii: "\n")).last else { return nil }
        do {
            return try JSONDecoder().decode(AuditRecord.self, from: Data(line))
        } catch {
            throw Failure(description: "\(path): its last record cannot be read (\(error)); run lifeboat audit verify")
        }
    }
}
