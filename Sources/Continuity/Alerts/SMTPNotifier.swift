import Foundation
import NIOCore
import NIOPosix

/// Alerts by email through an SMTP relay (RFC 5321): the hospital's mail server, which
/// takes mail from this host without sign-in. Plain SMTP on the port given (25 or 587);
/// no STARTTLS or AUTH yet.
public struct SMTPNotifier: Notifier {
    public let host: String
    public let port: Int
    public let from: String
    public let to: [String]

    public init(host: String, port: Int, from: String, to: [String]) {
        self.host = host
        self.port = port
        self.from = from
        self.to = to
    }

    public var name: String { "email to \(to.joined(separator: ", ")) via \(host):\(port)" }

    public func send(_ alert: Alert) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let message = Self.message(alert, from: from, to: to)
        try await channel.executeThenClose { inbound, outbound in
            var session = SMTPSession(replies: inbound.makeAsyncIterator(), outbound: outbound, server: "\(host):\(port)")
            try await session.expect(220)
            let me = ProcessInfo.processInfo.hostName.isEmpty ? "lifeboat" : ProcessInfo.processInfo.hostName
            try await session.command("EHLO \(me)", expect: [250])
            try await session.command("MAIL FROM:<\(from)>", expect: [250])
            for recipient in to { try await session.command("RCPT TO:<\(recipient)>", expect: [250, 251]) }
            try await session.command("DATA", expect: [354])
            try await session.command(message + "\r\n.", expect: [250], what: "the message")
            try await session.command("QUIT", expect: [221])
        }
    }

    /// The message (RFC 5322), lines ending CRLF, a leading dot doubled (RFC 5321 4.5.2).
    static func message(_ alert: Alert, from: String, to: [String]) -> String {
        let date = alert.at.formatted(Date.VerbatimFormatStyle(format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) +0000",
                                                                  locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
        // RFC 2047: a subject with other than ASCII goes as base64 UTF-8.
        let subject = alert.title.allSatisfy(\.isASCII) ? alert.title : "=?UTF-8?B?\(Data(alert.title.utf8).base64EncodedString())?="
        let headers = [
            "From: \(from)", "To: \(to.joined(separator: ", "))", "Subject: \(subject)", "Date: \(date)",
            "Message-ID: <\(UUID().uuidString.lowercased())@lifeboat>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
        ]
        let body = [alert.summary, "", alert.detail, "", "incident: \(alert.key)", "state: \(alert.state.rawValue)", "severity: \(alert.severity.rawValue)",
                    "at: \(alert.at.formatted(.iso8601))", "from: Lifeboat \(alert.source)"]
        let lines = (headers + [""] + body.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) })
            .map { $0.hasPrefix(".") ? "." + $0 : $0 }
        return lines.joined(separator: "\r\n")
    }
}

/// The client side of one SMTP conversation: commands out, replies (possibly multi-line,
/// "250-...", ending "250 ...") in.
struct SMTPSession {
    var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let server: String
    var pending = ""

    /// Sends a command (or the message, ended by its lone dot) and checks the reply; `what`
    /// names it in an error.
    mutating func command(_ line: String, expect codes: [Int], what: String? = nil) async throws {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        try await expect(codes, after: what ?? String(line.prefix { $0 != " " }))
    }

    mutating func expect(_ code: Int) async throws { try await expect([code], after: "connecting") }

    private mutating func expect(_ codes: [Int], after what: String) async throws {
        while true {
            guard let end = pending.range(of: "\r\n") else {
                guard let more = try await replies.next() else { throw NotifierError("\(server) closed the connection after \(what)") }
                pending += String(buffer: more)
                continue
            }
            let line = String(pending[..<end.lowerBound])
            pending.removeSubrange(..<end.upperBound)
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw NotifierError("\(server) answered \(what) with \"\(line)\"") }
            if line.dropFirst(3).first == "-" { continue } // more lines of the same reply
            guard codes.contains(code) else { throw NotifierError("\(server) refused \(what): \(line)") }
            return
        }
    }
}
