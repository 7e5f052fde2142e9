import NIOCore
import Testing
@testable import Web

/// The multipart/related parser: parts found however the bytes are split.
@Suite struct MultipartTests {
    static let body = "preamble to ignore\r\n--B\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--B\r\ncontent-type: text/plain\r\n\r\n"
        + "second with --B inside\r\n\r\n--B--\r\nepilogue"

    static func parse(_ text: String, chunk: Int) throws -> (parts: [(String?, String)], complete: Bool) {
        var parser = MultipartParser(boundary: "B")
        var parts: [(String?, String)] = []
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            for event in try parser.feed(ByteBuffer(bytes: bytes[start..<min(start + chunk, bytes.count)])) {
                switch event {
                case .partBegins(let headers): parts.append((headers["content-type"], ""))
                case .partBytes(let buffer): parts[parts.count - 1].1 += String(buffer: buffer)
                case .partEnds: break
                }
            }
        }
        return (parts, parser.isComplete)
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func partsAreFoundWhateverTheChunks(chunk: Int) throws {
        let (parts, complete) = try Self.parse(Self.body, chunk: chunk)
        #expect(complete)
        #expect(parts.map(\.0) == ["application/dicom", "text/plain"])
        #expect(parts.map(\.1) == ["first", "second with --B inside\r\n"])
    }

    @Test func anUnclosedBodyIsNotComplete() throws {
        #expect(try !Self.parse("--B\r\nContent-Type: a/b\r\n\r\nabc", chunk: 4).complete)
        #expect(try Self.parse("--B--\r\n", chunk: 4).parts.isEmpty)
    }

    @Test func garbageIsRefused() {
        #expect(throws: MultipartParser.ParseError.noOpeningBoundary) {
            _ = try Self.parse(String(repeating: "x", count: 20_000), chunk: 4096)
        }
        #expect(throws: MultipartParser.ParseError.badPartHeaders) { _ = try Self.parse("--B\r\nno colon here\r\n\r\nabc", chunk: 100) }
    }

    @Test func contentTypeParameters() {
        #expect(Multipart.parameters(of: "multipart/related; type=\"application/dicom\"; boundary=abc")! == ("application/dicom", "abc"))
        #expect(Multipart.parameters(of: "Multipart/Related;boundary=\"a b\"")! == (nil, "a b"))
        #expect(Multipart.parameters(of: "application/dicom") == nil)
        #expect(Multipart.parameters(of: "multipart/related; type=application/dicom") == nil)
    }
}
