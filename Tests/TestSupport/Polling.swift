import Foundation

/// Polls `condition` every 50 ms until it holds (tests never sleep for a fixed time); throws
/// `Polling.TimedOut` after `seconds`.
public enum Polling {
    public struct TimedOut: Error, CustomStringConvertible {
        public let seconds: Double
        public var description: String { "not done within \(seconds) s" }
    }

    public static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        // One look after the deadline: a task kept off the pool past it (the box loaded) has
        // not looked since, and what it waited for may long be there.
        if try await condition() { return }
        throw TimedOut(seconds: seconds)
    }
}
