import Foundation
import NIOConcurrencyHelpers

/// A progress bar on standard error when it is a terminal.
final class Progress: Sendable {
    let total: Int
    private let state = NIOLockedValueBox((done: 0, failed: 0))
    private let isTerminal = isatty(STDERR_FILENO) == 1

    init(total: Int) { self.total = total }

    func advance(failed: Bool) {
        let (done, failures) = state.withLockedValue { state in
            state.done += 1
            if failed { state.failed += 1 }
            return state
        }
        guard isTerminal else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) files\(failures > 0 ? ", \(failures) failed" : "")".utf8))
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
