import Foundation

/// Writes the audit log's noted entries on a thread of its own — not the cooperative pool,
/// not the dispatch workers the rest of the process shares — so the trail keeps up whatever
/// else is busy: each burst in one write, an fsync `delay` after the first unsynced one
/// (records written beside it, `AuditLog.noted`, ask for that fsync with `syncSoon`).
final class NoteWriter: @unchecked Sendable {
    // @unchecked: `pending`, `syncDue`, `stopping` are read and written only with `condition` locked;
    // the closures are immutable.
    private let condition = NSCondition()
    private var pending: [AuditLog.Entry] = []
    private var syncDue: Date?
    private var stopping = false
    private var ended = false
    private let finished = DispatchSemaphore(value: 0)
    private let delay: TimeInterval
    private let write: @Sendable ([AuditLog.Entry]) -> Void
    private let sync: @Sendable () -> Void

    init(delay: TimeInterval, write: @escaping @Sendable ([AuditLog.Entry]) -> Void, sync: @escaping @Sendable () -> Void) {
        self.delay = delay
        self.write = write
        self.sync = sync
        let thread = Thread { [self] in run() }
        thread.name = "lifeboat.audit.writer"
        thread.start()
    }

    func add(_ entry: AuditLog.Entry) {
        condition.lock()
        pending.append(entry)
        condition.signal()
        condition.unlock()
    }

    /// Syncs within `delay` what was written beside the thread (`AuditLog.noted`).
    func syncSoon() {
        condition.lock()
        if syncDue == nil {
            syncDue = Date().addingTimeInterval(delay)
            condition.signal()
        }
        condition.unlock()
    }

    /// Writes and syncs what is pending, then ends the thread; returns once it has (at once,
    /// the second time).
    func finish() {
        condition.lock()
        let already = ended
        ended = true
        stopping = true
        condition.signal()
        condition.unlock()
        if !already { finished.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping && (syncDue.map { Date() < $0 } ?? true) {
                if let due = syncDue { _ = condition.wait(until: due) } else { condition.wait() }
            }
            let batch = pending
            pending = []
            let syncNow = stopping || (syncDue.map { Date() >= $0 } ?? false)
            if syncNow { syncDue = nil }
            if !batch.isEmpty && !syncNow && syncDue == nil { syncDue = Date().addingTimeInterval(delay) }
            let last = stopping
            condition.unlock()
            if !batch.isEmpty {
                write(batch)
            }
            if syncNow { sync() }
            if last {
                finished.signal()
                return
            }
        }
    }
}
