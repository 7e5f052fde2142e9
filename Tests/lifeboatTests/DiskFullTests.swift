#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import Foundation
import TestSupport
import Testing

/// A full disk, for real: `lifeboat serve` on a 3 MB tmpfs.
@Suite struct DiskFullTests {
    /// Mounting needs root and the right to mount; probed once.
    static let canMountTmpfs: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-probe-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil,
              (try? Subprocess.run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]))?.status == 0 else { return false }
        _ = try? Subprocess.run("/usr/bin/env", ["umount", probe])
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "mounting a small tmpfs needs root and permission to mount"))
    func aFullDiskAnswersA700LeavesNothingAndTheNextInstanceThatFitsIsStored() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        #expect(try await Subprocess.run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint]).status == 0)
        defer {
            _ = try? Subprocess.run("/usr/bin/env", ["umount", mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        // An instance too big for the file system: 4 MB of pixel data.
        var big = try DICOMFile(path: try PydicomData.directory() + "/test_files/CT_small.dcm")
        big.dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.9999.4"])
        big.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.9999.4"])
        big.dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OW, bytes: [UInt8](repeating: 9, count: 4 << 20))
        let bigPath = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).dcm").path
        defer { try? FileManager.default.removeItem(atPath: bigPath) }
        try big.write(toPath: bigPath)

        let data = mountPoint + "/data", port = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(port)", "--http-port", "0"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)

        let refused = try await Subprocess.run(DumpCommandTests.binary.path, ["send", "127.0.0.1", "\(port)", "--aec", "LIFEBOAT", bigPath])
        #expect(refused.status == 1)
        #expect(refused.text.contains("status 0xA700") && refused.text.contains("out of space"), "\(refused.text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/tmp").isEmpty, "nothing half-written is left")
        let catalog = try Catalog(path: LocalArchive.catalogPath(in: data))
        #expect(try await catalog.counts().versions == 0, "nothing half-recorded")

        // The server is still there, and stores what fits.
        let small = try PydicomData.directory() + "/test_files/CT_small.dcm"
        let stored = try await Subprocess.run(DumpCommandTests.binary.path, ["send", "127.0.0.1", "\(port)", "--aec", "LIFEBOAT", small])
        #expect(stored.status == 0, "\(stored.text)")
        #expect(try await catalog.counts().versions == 1)
        #expect(serve.isRunning)
    }
}
