import Archive
import Foundation
import Testing

/// Files replaced or moved into place whole.
@Suite struct DurableFileTests {
    @Test func aDownloadMovedIntoPlaceIsWholeAndItsSourceGone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0) })
        try bytes.write(to: URL(fileURLWithPath: directory + "/catalog.sqlite.partial"))
        try DurableFile.move(directory + "/catalog.sqlite.partial", to: directory + "/catalog.sqlite")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/catalog.sqlite")) == bytes)
        #expect(!FileManager.default.fileExists(atPath: directory + "/catalog.sqlite.partial"))
        #expect(throws: BlobStoreError.self) { try DurableFile.move(directory + "/missing.partial", to: directory + "/other.sqlite") }
        #expect(!FileManager.default.fileExists(atPath: directory + "/other.sqlite"), "nothing put in place")
    }
}
