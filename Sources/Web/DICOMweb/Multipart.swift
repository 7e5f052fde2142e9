import Foundation
import Hummingbird
import NIOCore

/// multipart/related bodies (RFC 2387), as DICOMweb sends and receives instances
/// (PS3.18 8.6.1.2).
enum Multipart {
    /// A boundary that cannot occur in a part: random, and long.
    static func makeBoundary() -> String { "lifeboat-" + UUID().uuidString.lowercased() }

    /// The bytes that open a part.
    static func partHeader(boundary: String, contentType: String, first: Bool) -> ByteBuffer {
        ByteBuffer(string: (first ? "" : "\r\n") + "--\(boundary)\r\nContent-Type: \(contentType)\r\n\r\n")
    }

    /// The bytes that close the body.
    static func closing(boundary: String, empty: Bool) -> ByteBuffer {
        ByteBuffer(string: (empty ? "" : "\r\n") + "--\(boundary)--\r\n")
    }

    /// A multipart/related response whose parts are made one at a time as the body is written
    /// — `part(index)` gives each's content type and bytes —, so that memory holds one part,
    /// however many are asked for.
    static func streamed(type: String, count: Int, part: @escaping @Sendable (Int) throws -> (contentType: String, bytes: [UInt8])) -> Response {
        let boundary = makeBoundary()
        var headers = HTTPFields()
        headers[.contentType] = "multipart/related; type=\"\(type)\"; boundary=\(boundary)"
        return Response(status: .ok, headers: headers, body: ResponseBody { (writer: inout any ResponseBodyWriter) in
            for index in 0..<count {
                let (contentType, bytes) = try part(index)
                try await writer.write(partHeader(boundary: boundary, contentType: contentType, first: index == 0))
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.write(closing(boundary: boundary, empty: count == 0))
            try await writer.finish(nil)
        })
    }

    /// The boundary and type parameters of a Content-Type such as
    /// `multipart/related; type="application/dicom"; boundary=XYZ`; nil for another media type.
    static func parameters(of contentType: String) -> (type: String?, boundary: String)? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/related" else { return nil }
        var values: [String: String] = [:]
        for parameter in parts.dropFirst() {
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let name = parameter[..<equals].lowercased().trimmingCharacters(in: .whitespaces)
            var value = parameter[parameter.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            values[name] = value
        }
        guard let boundary = values["boundary"], !boundary.isEmpty else { return nil }
        return (values["type"], boundary)
    }
}

/// Splits a multipart/related body into parts as the bytes arrive, so that a part is
/// written on as it comes and never held whole: `feed` gives back events in order.
struct MultipartParser {
    enum Event: Equatable {
        /// A part begins, with its headers (names in lower case).
        case partBegins([String: String])
        case partBytes(ByteBuffer)
        case partEnds
    }

    enum ParseError: Error, Equatable, CustomStringConvertible {
        case noOpeningBoundary
        case badPartHeaders
        case unterminated

        var description: String {
            switch self {
            case .noOpeningBoundary: "the body does not start with its boundary"
            case .badPartHeaders: "a part's headers are malformed or longer than 16 KiB"
            case .unterminated: "the body ends before its closing boundary"
            }
        }
    }

    private enum State { case preamble, headers, body, done }

    private let delimiter: [UInt8]
    private var state = State.preamble
    private var buffer: [UInt8] = []

    init(boundary: String) { delimiter = Array("\r\n--\(boundary)".utf8) }

    var isComplete: Bool { state == .done }

    mutating func feed(_ bytes: ByteBuffer) throws(ParseError) -> [Event] {
        buffer += bytes.readableBytesView
        var events: [Event] = []
        while true {
            switch state {
            case .preamble:
                // The first delimiter may open the body without its CRLF.
                let opening = Array(delimiter.dropFirst(2))
                guard let found = find(opening, in: buffer) else {
                    if buffer.count > 16 * 1024 { throw .noOpeningBoundary }
                    return events
                }
                let after = found + opening.count
                guard buffer.count >= after + 2 else { return events }
                if buffer[after..<after + 2].elementsEqual("--".utf8) {
                    state = .done
                    return events
                }
                guard let lineEnd = find(Array("\r\n".utf8), in: buffer, from: after) else { return events }
                buffer.removeFirst(lineEnd + 2)
                state = .headers
            case .headers:
                guard let end = find(Array("\r\n\r\n".utf8), in: buffer) else {
                    if buffer.count > 16 * 1024 { throw .badPartHeaders }
                    return events
                }
                var headers: [String: String] = [:]
                for line in String(decoding: buffer[..<end], as: UTF8.self).split(separator: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { throw .badPartHeaders }
                    headers[line[..<colon].lowercased().trimmingCharacters(in: .whitespaces)] =
                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                buffer.removeFirst(end + 4)
                events.append(.partBegins(headers))
                state = .body
            case .body:
                if let found = find(delimiter, in: buffer) {
                    if found > 0 { events.append(.partBytes(ByteBuffer(bytes: buffer[..<found]))) }
                    events.append(.partEnds)
                    // From "--boundary" on, the preamble's rules say what follows: a part or the end.
                    buffer.removeFirst(found + 2)
                    state = .preamble
                } else {
                    // Keep what could be the start of a delimiter; hand on the rest.
                    let keep = min(buffer.count, delimiter.count - 1)
                    if buffer.count > keep {
                        events.append(.partBytes(ByteBuffer(bytes: buffer[..<(buffer.count - keep)])))
                        buffer.removeFirst(buffer.count - keep)
                    }
                    return events
                }
            case .done:
                buffer = []
                return events
            }
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard needle.count <= haystack.count - start, let first = needle.first else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
