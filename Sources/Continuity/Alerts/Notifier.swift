import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A channel alerts go out on: a webhook, email, syslog. `send` returns once the channel
/// took the alert, or throws saying why it did not.
public protocol Notifier: Sendable {
    var name: String { get }
    func send(_ alert: Alert) async throws
}

/// Why a channel did not take an alert.
public struct NotifierError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A JSON POST of the alert (kind, subject, severity, state, summary, detail, at, source, key,
/// title) to a URL: chat tools, paging services, a ticketing system's inbound hook.
public struct WebhookNotifier: Notifier {
    public let url: String
    public var name: String { "webhook \(url)" }

    public init(url: String) { self.url = url }

    struct Body: Encodable {
        let alert: Alert
        func encode(to encoder: any Encoder) throws {
            try alert.encode(to: encoder)
            var container = encoder.container(keyedBy: Extra.self)
            try container.encode(alert.key, forKey: .key)
            try container.encode(alert.title, forKey: .title)
        }
        enum Extra: String, CodingKey { case key, title }
    }

    public func send(_ alert: Alert) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        request.body = .bytes(ByteBuffer(bytes: try encoder.encode(Body(alert: alert))))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard (200..<300).contains(response.status.code) else {
            throw NotifierError("\(url) answered \(response.status.code) \(response.status.reasonPhrase)")
        }
    }
}
