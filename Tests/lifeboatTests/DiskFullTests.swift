#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOCore
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

    /// A new folder with a tmpfs of that size mounted on it.
    static func mountTmpfs(megabytes: Int) async throws -> String {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        #expect(try await Subprocess.run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mountPoint]).status == 0)
        return mountPoint
    }

    static func unmount(_ mountPoint: String) {
        _ = try? Subprocess.run("/usr/bin/env", ["umount", mountPoint])
        try? FileManager.default.removeItem(atPath: mountPoint)
    }

    @Test(.enabled(if: canMountTmpfs, "mounting a small tmpfs needs root and permission to mount"))
    func aFullDiskAnswersA700LeavesNothingAndTheNextInstanceThatFitsIsStored() async throws {
        let mountPoint = try await Self.mountTmpfs(megabytes: 3)
        defer { Self.unmount(mountPoint) }
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

    /// The whole cycle on a 12 MB tmpfs: stores until the disk is full — blobs, catalog and
    /// audit log all run out —, the server stopped, space freed, the server started again. It
    /// starts (a torn audit line set aside and recorded, not a refusal to start), the chain
    /// verifies, it stores again, and every instance it acknowledged is there and audited.
    @Test(.enabled(if: canMountTmpfs, "mounting a small tmpfs needs root and permission to mount"))
    func aServerThatFilledItsDiskStartsAgainWithEveryAcknowledgedInstanceAudited() async throws {
        let mountPoint = try await Self.mountTmpfs(megabytes: 12)
        defer { Self.unmount(mountPoint) }
        // Room to free later.
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(repeating: 7, count: 3 << 20)))
        let data = mountPoint + "/data"
        var template = try DICOMFile(path: try PydicomData.directory() + "/test_files/CT_small.dcm").dataSet
        func instance(_ number: Int) -> String { "1.2.826.0.1.3680043.10.65.\(number)" }
        func dataSet(_ number: Int) throws -> ByteBuffer {
            template[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: [instance(number)])
            return ByteBuffer(bytes: try template.encoded(in: .explicitVRLittleEndian))
        }
        let sopClass = try #require(template.uid(.sopClassUID))
        let context = ProposedPresentationContext(id: 1, abstractSyntax: sopClass, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid])
        var acknowledged: [String] = [], refused: [String: String] = [:]
        func storeMany(_ numbers: Range<Int>, port: Int) async throws {
            try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "LIFEBOAT"), proposing: [context]) { association in
                for number in numbers {
                    var body: ByteBuffer? = try dataSet(number)
                    let (status, comment) = try await association.store(sopClassUID: sopClass, sopInstanceUID: instance(number), contextID: 1) {
                        defer { body = nil }
                        return body
                    }
                    if status == .success { acknowledged.append(instance(number)) } else { refused[instance(number)] = "\(status) \(comment ?? "")" }
                }
            }
        }
        var port = LoopbackPort.free()
        var serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(port)", "--http-port", "0"])
        try await LoopbackPort.waitUntilListening(port)
        // About 40 KB each: 400 fill 12 MB several times over.
        try await storeMany(0..<400, port: port)
        #expect(!acknowledged.isEmpty && refused.count > 100, "\(acknowledged.count) acknowledged, \(refused.count) refused")
        #expect(refused.values.allSatisfy { $0.hasPrefix("0xA700") }, "\(Set(refused.values))")
        #expect(refused.values.allSatisfy { !$0.contains(mountPoint) }, "no server path in an Error Comment")
        serve.stop()

        // Space again, and a new start.
        try FileManager.default.removeItem(atPath: filler)
        port = LoopbackPort.free()
        serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(port)", "--http-port", "0"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)
        let verify = try await Subprocess.run(DumpCommandTests.binary.path, ["audit", "verify", "--data", data])
        #expect(verify.status == 0 && verify.text.contains("audit log intact"), "\(verify.text) \(verify.errors)")
        let before = acknowledged.count
        try await storeMany(1000..<1005, port: port)
        #expect(acknowledged.count == before + 5, "it stores again: \(refused.filter { $0.key.hasSuffix(".100") })")

        let catalog = try Catalog(path: LocalArchive.catalogPath(in: data))
        let audited = Set(try SecurityServeTests.records(data).filter { $0.action == .store && $0.succeeded }.map(\.subject))
        for uid in acknowledged {
            #expect(try await !catalog.versions(of: uid).isEmpty, "\(uid) was acknowledged and is not in the catalog")
            #expect(audited.contains("SOPInstanceUID=\(uid)"), "\(uid) was acknowledged and has no audit record")
        }
        #expect(Self.files(in: data + "/tmp").isEmpty, "no file left in tmp/")
        print("full disk: \(before) acknowledged, \(refused.count) refused A700; after the restart all \(before) are there and audited")
    }

    static func files(in folder: String) -> [String] { HostileHTTPTests.files(in: folder) }
}
