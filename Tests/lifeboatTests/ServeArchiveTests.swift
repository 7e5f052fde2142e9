import Archive
import DICOM
import DICOMNetwork
import Foundation
import NIOCore
import TestSupport
import Testing

/// `lifeboat serve` as an archive, end to end: a real process, real peers, the data
/// directory read back through the archive's own catalog and blob store.
@Suite struct ServeArchiveTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    /// Runs `lifeboat serve` on a free port with a fresh data directory for the body.
    static func withServe(_ body: (Int, String) async throws -> Void) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(port)", "--http-port", "0"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)
        try await body(port, data)
    }

    @Test func storescuInstancesAreCatalogedWithTheirSender() async throws {
        let data = try PydicomData.directory()
        let files = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"].map { "\(data)/test_files/\($0)" }
        try await Self.withServe { port, root in
            for _ in 0..<2 { // the second time they are duplicates: Success, nothing new stored
                let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/storescu", "-aec", "LIFEBOAT", "127.0.0.1", "\(port)"] + files)
                #expect(run.status == 0, "\(run.failures)")
            }
            let catalog = try Catalog(path: LocalArchive.catalogPath(in: root))
            let blobs = try LocalBlobStore(root: root)
            for path in files {
                let sent = try DICOMFile(path: path)
                let versions = try await catalog.versions(of: try #require(sent.dataSet.uid(.sopInstanceUID)))
                #expect(versions.map(\.callingAETitle) == ["STORESCU"], "\(path)")
                for version in versions {
                    #expect(try await blobs.verify(version.blob))
                    let stored = try DICOMFile(path: try #require(blobs.localPath(of: version.blob)))
                    #expect(stored.dataSet[.pixelData] == sent.dataSet[.pixelData], "\(path)")
                }
            }
            #expect(try await catalog.counts().instances == 3)
            #expect(try await blobs.list(prefix: "").count == 3)
        }
    }

    /// `lifeboat send` streams data sets unchanged, so what is stored is what the files hold,
    /// compressed transfer syntaxes included.
    @Test func sentDataSetsAreStoredByteForByte() async throws {
        let data = try PydicomData.directory()
        let files = ["CT_small.dcm", "JPEG2000.dcm", "MR_small_RLE.dcm", "image_dfl.dcm"].map { "\(data)/test_files/\($0)" }
        try await Self.withServe { port, root in
            let run = try await Subprocess.run(DumpCommandTests.binary.path, ["send", "127.0.0.1", "\(port)", "--aec", "LIFEBOAT"] + files)
            #expect(run.status == 0, "\(run.text)\(run.errors)")
            let catalog = try Catalog(path: LocalArchive.catalogPath(in: root))
            let blobs = try LocalBlobStore(root: root)
            for path in files {
                let sent = try DICOMFile(path: path, options: .headerOnly)
                let uid = try #require(sent.dataSet.uid(.sopInstanceUID))
                let version = try #require(try await catalog.versions(of: uid).first, "\(path)")
                #expect(version.transferSyntaxUID == sent.transferSyntax.uid)
                let stored = try #require(blobs.localPath(of: version.blob))
                #expect(try Self.dataSetBytes(stored) == Self.dataSetBytes(path), "\(path)")
            }
        }
    }

    /// Everything after a Part 10 file's meta group.
    static func dataSetBytes(_ path: String) throws -> [UInt8] {
        let header = try DICOMFile(path: path, options: .headerOnly)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)).dropFirst(132 + header.fileMeta.encodedLength(explicitVR: true)))
    }

    @Test func aDataSetOfAnotherSOPClassIsRefusedAndTheServerKeepsServing() async throws {
        // A CT data set sent as MR Image Storage by a sender that trusts a wrong label (`lifeboat
        // send` and storescu take the data set's own SOP Class UID, so the C-STORE is made here).
        let file = try DICOMFile(path: try PydicomData.directory() + "/test_files/CT_small.dcm")
        let body = try file.dataSet.encoded(in: .explicitVRLittleEndian)
        let mr = "1.2.840.10008.5.1.4.1.1.4"
        let context = ProposedPresentationContext(id: 1, abstractSyntax: mr, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid])
        try await Self.withServe { port, root in
            var chunks = [ByteBuffer(bytes: body)]
            let (status, comment) = try await RequestorAssociation.withAssociation(.init(host: "127.0.0.1", port: port, calledAETitle: "LIFEBOAT"),
                                                                                   proposing: [context]) { association in
                try await association.store(sopClassUID: mr, sopInstanceUID: try #require(file.dataSet.uid(.sopInstanceUID)), contextID: 1) {
                    chunks.isEmpty ? nil : chunks.removeFirst()
                }
            }
            // PS3.4 B.2.3: A900, the data set does not match the SOP class.
            #expect(status == .dataSetDoesNotMatchSOPClass)
            #expect(comment == "data set SOP Class UID is 1.2.840.10008.5.1.4.1.1.2", "\(comment ?? "no comment")")
            let catalog = try Catalog(path: LocalArchive.catalogPath(in: root))
            #expect(try await catalog.counts().versions == 0)
            let echo = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/echoscu", "-aec", "LIFEBOAT", "127.0.0.1", "\(port)"])
            #expect(echo.status == 0)
        }
    }

    /// The crash test script, a few trials: SIGKILL at random moments under four senders.
    @Test func acknowledgedInstancesSurviveSIGKILL() async throws {
        let run = try await Subprocess.run("/usr/bin/env", ["python3", Self.root + "/Scripts/crash-test.py", DumpCommandTests.binary.path,
                                                            "--trials", "4", "--senders", "4"])
        #expect(run.status == 0, "\(run.text)\(run.errors)")
        #expect(run.text.contains("crash test passed: 4 trials"), "\(run.text)")
    }

    /// A blob written just before a crash, never cataloged: the next start catalogs it and
    /// the audit trail says so (it was never acknowledged, so no store record names it yet).
    @Test func aBlobRecoveredAtStartIsAudited() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("recover-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let archive = try LocalArchive(root: data)
        var file = try DICOMFile(path: try PydicomData.directory() + "/test_files/CT_small.dcm")
        file.dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.10.66.1"])
        file.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.10.66.1"])
        let bytes = try file.serialized()
        let blob = BlobID(of: bytes)
        let staging = try StagingFile(in: archive.blobs.stagingDirectory)
        try staging.write(bytes)
        _ = try await archive.blobs.put(try staging.finish())
        #expect(try await archive.catalog.counts().instances == 0)
        let port = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--data", data, "--dicom-port", "\(port)", "--http-port", "0"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)
        #expect(try await archive.catalog.versions(of: "1.2.826.0.1.3680043.10.66.1").map(\.blob) == [blob])
        let record = try await SecurityServeTests.waitForRecord(data) { $0.subject == "SOPInstanceUID=1.2.826.0.1.3680043.10.66.1" }
        #expect(record?.action == .store && record?.detail.contains("recovered at start: blob \(blob)") == true, "\(String(describing: record))")
    }

    /// A file whose meta group names another SOP instance than its data set: sent as the data
    /// set's, as storescu does (the archive checks the data set against the request), with a warning.
    @Test func sendUsesTheDataSetsInstanceUIDAndWarns() async throws {
        try await Self.withServe { port, data in
            var file = try DICOMFile(path: try PydicomData.directory() + "/test_files/CT_small.dcm")
            file.dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.10.68.1"])
            file.fileMeta[.mediaStorageSOPInstanceUID] = DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, strings: ["1.2.826.0.1.3680043.10.68.2"])
            let path = data + "-mismatch.dcm"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try file.write(toPath: path)
            let run = try await Subprocess.run(DumpCommandTests.binary.path, ["send", "127.0.0.1", "\(port)", "--aec", "LIFEBOAT", path])
            #expect(run.status == 0, "\(run.text) \(run.errors)")
            #expect(run.errors.contains("warning: \(path): its file meta information names SOP instance 1.2.826.0.1.3680043.10.68.2, its data set 1.2.826.0.1.3680043.10.68.1"),
                    "\(run.errors)")
            let catalog = try Catalog(path: LocalArchive.catalogPath(in: data))
            #expect(try await catalog.versions(of: "1.2.826.0.1.3680043.10.68.1").count == 1)
        }
    }

    /// What serve writes holds images and credentials' digests: its user's alone, whatever the umask.
    @Test func theDataDirectoryIsTheServiceUsersAlone() async throws {
        try await Self.withServe { port, data in
            let file = try PydicomData.directory() + "/test_files/CT_small.dcm"
            #expect(try await Subprocess.run(DumpCommandTests.binary.path, ["send", "127.0.0.1", "\(port)", "--aec", "LIFEBOAT", file]).status == 0)
            let catalog = try Catalog(path: LocalArchive.catalogPath(in: data))
            let blob = try #require(try await catalog.versions(of: "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322").first?.blob)
            func mode(_ path: String) throws -> Int { try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) }
            let blobPath = data + "/blobs/" + blob.hex.prefix(2) + "/" + blob.hex + ".dcm"
            for path in [data, data + "/blobs", data + "/tmp", data + "/audit", data + "/catalog.sqlite", data + "/security.sqlite", data + "/audit/audit.log", blobPath] {
                let permissions = try mode(path)
                #expect(permissions & 0o077 == 0, "\(path): \(String(permissions, radix: 8))")
            }
        }
    }
}
