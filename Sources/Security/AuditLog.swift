#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Archive
import NIOConcurrencyHelpers

/// The audit trail of one node: `audit/audit.log` in the data directory, one JSON record a
/// line, append-only, each chained to the one before (`AuditRecord`) and flushed to disk
/// before `append` returns.
public final class AuditLog: Sendable {
    public let path: String
    struct State {
        var fd: Int32
        var sequence: Int
        var head: String
        /// The file's length after this log's last write: another length means another
        /// process (the command line beside the server) appended since.
        var length: Int
    }

    private let state: NIOLockedValueBox<State>
    private let committer: GroupCommit<Entry, AuditRecord>
    /// Where noted entries are written and their fsync runs (`note`).
    private let writer: NoteWriter
    /// Given each batch of records once it is on disk (the syslog export).
    private let forwarder = NIOLockedValueBox<(@Sendable ([AuditRecord]) -> Void)?>(nil)

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
        // A last line cut short by a crash or a full disk is set aside first (`TornTail`).
        let torn = try TornTail.setAside(in: path)
        let last = try Self.lastRecord(of: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        let state = NIOLockedValueBox(State(fd: fd, sequence: last?.sequence ?? 0, head: last?.hash ?? AuditRecord.genesis, length: Self.length(of: fd)))
        self.state = state
        let forwarder = self.forwarder
        committer = GroupCommit { [path] entries in
            switch Self.append(entries, to: state, path: path, forwarder: forwarder) {
            case .success(let records): records.map { .success($0) }
            case .failure(let failure): entries.map { _ in .failure(failure) }
            }
        }
        writer = NoteWriter(delay: Self.noteSyncDelay.inSeconds, write: { [path] batch in
            guard case .failure(let failure) = Self.append(batch, to: state, path: path, forwarder: forwarder, sync: false) else { return }
            Logger(label: "lifeboat.audit").critical("audit records lost: \(failure)", metadata: ["records": "\(batch.count)"])
        }, sync: {
            let fd = state.withLockedValue { $0.fd }
            if fd >= 0 && fsync(fd) != 0 { Logger(label: "lifeboat.audit").critical("cannot fsync the audit log: \(String(cString: strerror(errno)))") }
        })
        if let torn {
            Logger(label: "lifeboat.audit").warning("the audit log's last line was torn (a crash or a full disk cut its write): set aside as evidence",
                                                    metadata: ["bytes": "\(torn.bytes)", "file": "\(torn.evidence)"])
            try append(.administration, actor: "lifeboat", source: "local", subject: "audit log",
                       detail: "a torn last line of \(torn.bytes) bytes after record \(last?.sequence ?? 0) (a write cut short by a crash or a full disk) "
                           + "was set aside in \((torn.evidence as NSString).lastPathComponent); the chain goes on from record \(last?.sequence ?? 0)")
        }
    }

    // What was noted is written and synced before the file is closed.
    deinit {
        writer.finish()
        state.withLockedValue { state in
            _ = close(state.fd)
            state.fd = -1
        }
    }

    /// The hash of the newest record: what is copied elsewhere so a rewritten log shows.
    public var head: String { state.withLockedValue { $0.head } }

    /// The newest record's number and hash, as copied to the replication targets.
    public func chainHead(node: String) -> ChainHead {
        state.withLockedValue { ChainHead(sequence: $0.sequence, hash: $0.head, node: node) }
    }

    /// What is to be recorded; the log adds the sequence number and the chain.
    public struct Entry: Sendable {
        public var action: AuditRecord.Action
        public var succeeded: Bool
        public var actor: String
        public var source: String
        public var subject: String
        public var detail: String
        public var time: Date

        public init(_ action: AuditRecord.Action, succeeded: Bool = true, actor: String, source: String, subject: String = "", detail: String = "",
                    time: Date = Date()) {
            self.action = action
            self.succeeded = succeeded
            self.actor = actor
            self.source = source
            self.subject = subject
            self.detail = detail
            self.time = time
        }
    }

    /// Appends a record and flushes it before returning it as written (the command line's way).
    @discardableResult
    public func append(_ action: AuditRecord.Action, succeeded: Bool = true, actor: String, source: String, subject: String = "", detail: String = "",
                       at time: Date = Date()) throws(Failure) -> AuditRecord {
        try appendAll([Entry(action, succeeded: succeeded, actor: actor, source: source, subject: subject, detail: detail, time: time)]).get()[0]
    }

    /// Appends a record, sharing the flush with whatever else is being recorded at the same
    /// moment (one write and one fsync for all): a server's way. Returns once it is on disk.
    @discardableResult
    public func record(_ entry: Entry) async throws -> AuditRecord {
        try await committer.submit(entry)
    }

    /// Records without holding up the caller: for the DICOM hot path (a store, a query),
    /// which must not wait on the audit disk, pay an fsync each, or queue behind another
    /// association's record. The entry is handed to a writer (a thread of its own) that chains and writes whatever
    /// has been noted meanwhile in one write (within milliseconds), and fsyncs within
    /// `noteSyncDelay`. A process killed in those milliseconds, or a power cut within
    /// `noteSyncDelay`, can lose the newest notes — never break the chain. (The catalog holds
    /// each stored instance's provenance — calling AE, address, time — durably.) A failure to
    /// write is logged as critical.
    public func note(_ entry: Entry) { writer.add(entry) }

    /// `note`, but written at once by the caller (not yet synced: within `noteSyncDelay`),
    /// returning true, or false when it could not be (the log's disk is full), so that what
    /// it records is not acknowledged unrecorded. One small write, no hand-off to the writer
    /// thread and back: a store waits for no other thread's wake-up.
    public func noted(_ entry: Entry) -> Bool {
        switch Self.append([entry], to: state, path: path, forwarder: forwarder, sync: false) {
        case .success:
            writer.syncSoon()
            return true
        case .failure(let failure):
            Logger(label: "lifeboat.audit").critical("an audit record lost: \(failure)")
            return false
        }
    }

    /// Writes and syncs every noted record, at an orderly stop; notes after it are not written.
    public func finish() { writer.finish() }

    /// How long noted records may wait for their fsync.
    public static let noteSyncDelay: Duration = .milliseconds(100)

    func appendAll(_ entries: [Entry]) -> Result<[AuditRecord], Failure> { Self.append(entries, to: state, path: path, forwarder: forwarder) }

    /// Sends every record appended from now on to `forward` too, once it is on disk.
    public func forward(to forward: @escaping @Sendable ([AuditRecord]) -> Void) { forwarder.withLockedValue { $0 = forward } }

    /// Chains the entries on, writes their lines at once and (unless `sync` is false) fsyncs.
    static func append(_ entries: [Entry], to state: NIOLockedValueBox<State>, path: String,
                       forwarder: NIOLockedValueBox<(@Sendable ([AuditRecord]) -> Void)?>, sync: Bool = true) -> Result<[AuditRecord], Failure> {
        let result = chain(entries, to: state, path: path, sync: sync)
        if case .success(let records) = result, let forward = forwarder.withLockedValue({ $0 }) { forward(records) }
        return result
    }

    static func chain(_ entries: [Entry], to state: NIOLockedValueBox<State>, path: String, sync: Bool) -> Result<[AuditRecord], Failure> {
        state.withLockedValue { state in
            guard state.fd >= 0 else { return .failure(Failure(description: "\(path) was closed")) }
            // The server and the command line may both append: an exclusive lock on the file
            // while chaining, and the chain picked up from the file when another wrote since.
            guard flock(state.fd, LOCK_EX) == 0 else { return .failure(Failure(description: "cannot lock \(path): \(String(cString: strerror(errno)))")) }
            defer { flock(state.fd, LOCK_UN) }
            if length(of: state.fd) != state.length {
                do throws(Failure) {
                    if let last = try lastRecord(of: path) {
                        state.sequence = last.sequence
                        state.head = last.hash
                    }
                } catch {
                    return .failure(error)
                }
            }
            var records: [AuditRecord] = []
            var lines = Data()
            var head = state.head
            for entry in entries {
                let (record, line) = AuditRecord.chained(sequence: state.sequence + records.count + 1, entry: entry, previous: head)
                head = record.hash
                records.append(record)
                lines += line
            }
            let written = lines.withUnsafeBytes { write(state.fd, $0.baseAddress, $0.count) }
            guard written == lines.count, !sync || fsync(state.fd) == 0 else {
                // All or nothing: what a short write (a full disk) left is cut off again, so no
                // torn line stays; the chain does not advance.
                let reason = written < 0 ? String(cString: strerror(errno)) : written < lines.count ? "a short write (\(written) of \(lines.count) bytes): the disk is full" : String(cString: strerror(errno))
                if ftruncate(state.fd, off_t(state.length)) != 0 {
                    Logger(label: "lifeboat.audit").critical("cannot cut a failed write off the audit log: \(String(cString: strerror(errno))); its tail is torn until the next start")
                }
                return .failure(Failure(description: "cannot append to \(path): \(reason)"))
            }
            state.sequence += records.count
            state.head = head
            state.length = length(of: state.fd)
            return .success(records)
        }
    }

    static func length(of fd: Int32) -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : -1
    }

    /// The newest record: the last line of the file's last 1 MiB (a record is far shorter).
    static func lastRecord(of path: String) throws(Failure) -> AuditRecord? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        let data: Data
        do {
            let end = try file.seekToEnd()
            try file.seek(toOffset: end > 1 << 20 ? end - (1 << 20) : 0)
            data = try file.readToEnd() ?? Data()
        } catch {
            throw Failure(description: "cannot read \(path): \(error)")
        }
        guard let line = data.split(separator: UInt8(ascii: "\n")).last else { return nil }
        do {
            return try JSONDecoder().decode(AuditRecord.self, from: Data(line))
        } catch {
            throw Failure(description: "\(path): its last record cannot be read (\(error)); run lifeboat audit verify")
        }
    }
}
