import DICOM
import DICOMNetwork
import Foundation
import NIOCore
import Testing

/// Reading a file straight into a ByteBuffer for sending.
@Suite struct OpenFileBufferTests {
    @Test func readsWhatIsThereAndNothingPastTheEnd() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("openfile-\(UUID().uuidString)").path
        let bytes = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try OpenFile(path: path)

        let middle = try file.readBuffer(at: 1000, upTo: 1024)
        #expect(Array(middle.readableBytesView) == Array(bytes[1000..<2024]))
        let tail = try file.readBuffer(at: 2500, upTo: 1 << 20)
        #expect(Array(tail.readableBytesView) == Array(bytes[2500...]), "a read past the end stops at it")
        #expect(try file.readBuffer(at: 3000, upTo: 10).readableBytes == 0)
        #expect(try file.readBuffer(at: 4000, upTo: 10).readableBytes == 0)
        #expect(try file.read(at: 2990, upTo: 100) == Array(bytes[2990...]))
    }
}
