import Foundation
import NIOConcurrencyHelpers

/// Slows password guessing: after `limit` failed sign-ins for one user name, or
/// `addressLimit` from one address (higher: a ward's computers may share one address behind
/// a proxy), within `window`, further attempts are refused (without checking the password)
/// until the window has passed since the latest failure. A success clears the user's count.
/// A value: the caller keeps it behind a lock and passes the time in.
public struct LoginThrottle: Sendable {
    public var limit: Int
    public var addressLimit: Int
    public var window: TimeInterval
    private var failures: [String: [Date]] = [:]

    public init(limit: Int = 5, addressLimit: Int = 20, window: Duration = .seconds(15 * 60)) {
        self.limit = limit
        self.addressLimit = addressLimit
        self.window = TimeInterval(window.components.seconds)
    }

    static func keys(user: String, address: String) -> [String] { ["user:" + user.lowercased(), "address:" + address] }

    /// When a refused caller may try again; nil: go ahead and check the password.
    public mutating func retryAfter(user: String, address: String, at now: Date) -> Date? {
        var latest: Date?
        for key in Self.keys(user: user, address: address) {
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[key] = recent.isEmpty ? nil : recent
            if recent.count >= (key.hasPrefix("user:") ? limit : addressLimit), let last = recent.last {
                latest = max(latest ?? last, last)
            }
        }
        return latest.map { $0.addingTimeInterval(window) }
    }

    public mutating func failed(user: String, address: String, at now: Date) {
        for key in Self.keys(user: user, address: address) { failures[key, default: []].append(now) }
    }

    public mutating func succeeded(user: String) { failures["user:" + user.lowercased()] = nil }
}

/// One `LoginThrottle` for every way a password is presented — HTTP sign-in and Basic, and
/// DICOM user identity negotiation —, so that guesses count together whichever way they come.
public final class SignInThrottle: Sendable {
    private let throttle: NIOLockedValueBox<LoginThrottle>

    public init(_ throttle: LoginThrottle = LoginThrottle()) { self.throttle = NIOLockedValueBox(throttle) }

    /// When a refused caller may try again; nil: go ahead and check the password.
    public func retryAfter(user: String, address: String, at now: Date = Date()) -> Date? {
        throttle.withLockedValue { $0.retryAfter(user: user, address: address, at: now) }
    }

    public func failed(user: String, address: String, at now: Date = Date()) {
        throttle.withLockedValue { $0.failed(user: user, address: address, at: now) }
    }

    public func succeeded(user: String) { throttle.withLockedValue { $0.succeeded(user: user) } }
}
