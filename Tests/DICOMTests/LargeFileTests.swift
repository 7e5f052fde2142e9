@testable import DICOM
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A 2 GB instance passes through reading and writing in bounded memory (the zero-loss
/// contract, invariant 7). The file is sparse, so it costs no disk.
@Suite struct LargeFileTests {
    /// Counts what is written and keeps the two bytes at `watched`.
    final class CountingSink: ByteSink {
        let watched: Int
        var count = 0
        var seen: [UInt8] = []
        init(watching offset: Int) { watched = offset }
        func write(_ bytes: ArraySlice<UInt8>) {
            if watched >= count && watched + 2 <= count + bytes.count {
                let start = bytes.startIndex + watched - count
                seen = Array(bytes[start..<(start + 2)])
            }
            count += bytes.count
        }
        func finish() {}
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    @Test func twoGigabytePixelDataIsNeverLoadedWhole() throws {
        let length = 2_000_000_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-large-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("large.dcm").path

        var dataSet = DataSet()
        dataSet[.sopClassUID] = DataElement(tag: .sopClassUID, vr: .UI, strings: ["1.2.840.10008.5.1.4.1.1.2"])
        dataSet[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: ["Large^Instance"])
        var header = try DICOMFile(dataSet: dataSet).serialized()
        header += Bytes.tag(0x7FE0, 0x0010) + Bytes.text("OW") + [0, 0] + Bytes.le32(UInt32(length))
        header.append(contentsOf: [0x12, 0x34]) // the first pixel, so the copy has something to find
        #expect(FileManager.default.createFile(atPath: path, contents: Data(header)))
        #expect(truncate(path, off_t(header.count - 2 + length)) == 0)

        let before = Self.peakResidentBytes()
        let file = try DICOMFile(path: path, options: ReadOptions(bulkDataThreshold: 1 << 20))
        guard case .bulk(let reference)? = file.dataSet[.pixelData]?.value else {
            Issue.record("pixel data was loaded")
            return
        }
        #expect(reference.length == length)
        #expect(try file.dataSet.string(.patientName) == "Large^Instance")
        #expect(try DICOMFile.readHeader(path: path).pixelDataOffset == header.count - 2 - 12)

        let sink = CountingSink(watching: header.count - 2)
        try file.write(to: sink)
        #expect(sink.count == header.count - 2 + length, "the whole file was copied through")
        #expect(sink.seen == [0x12, 0x34], "the first pixel arrived where it belongs")
        let growth = Self.peakResidentBytes() - before
        #expect(growth < 256 << 20, "peak memory grew by \(growth >> 20) MiB for a \(length >> 20) MiB value")
    }

    @Test func valuesLeftInAFileOutliveItsNameAndItsHandle() throws {
        var dataSet = DataSet()
        dataSet[.sopClassUID] = DataElement(tag: .sopClassUID, vr: .UI, strings: ["1.2.840.10008.5.1.4.1.1.7"])
        dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let bytes = try DICOMFile(dataSet: dataSet).serialized()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-handle-\(UUID()).dcm").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))

        let handle = try #require(FileHandle(forReadingAtPath: path))
        try handle.seek(toOffset: 100) // reading starts at the file's start whatever the position
        let file = try DICOMFile(file: try OpenFile(duplicating: handle.fileDescriptor, name: path), options: ReadOptions(bulkDataThreshold: 4096))
        try handle.close()
        try FileManager.default.removeItem(atPath: path)

        guard case .bulk? = file.dataSet[.pixelData]?.value else {
            Issue.record("pixel data was loaded")
            return
        }
        #expect(try file.serialized() == bytes, "the unlinked file's values are still copied")
    }
}
