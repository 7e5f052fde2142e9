@testable import Archive
import DICOM
import Foundation
import Testing

/// Recovery after a crash and catalog rebuilds, on a real data directory.
@Suite struct RecoveryTests {
    static func withDirectory(_ body: (String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("recovery-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(root)
    }

    /// Stores a blob the way a put just before a crash would: in the blob store, not in the catalog.
    static func storeBlobOnly(_ dataSet: DataSet, in archive: LocalArchive) async throws -> BlobID {
        let staging = try StagingFile(in: archive.blobs.stagingDirectory)
        try staging.write(try BlobHeader.bytes(sopClassUID: IngestTests.ctImage, sopInstanceUID: dataSet.uid(.sopInstanceUID)!,
                                               transferSyntaxUID: IngestTests.explicitLE))
        try staging.write(try dataSet.encoded(in: .explicitVRLittleEndian))
        let staged = try staging.finish()
        _ = try await archive.blobs.put(staged)
        return staged.id
    }

    @Test func seriesOfAnEarlierCatalogGetTheirQueryHeader() async throws {
        try await Self.withDirectory { root in
            let archive = try LocalArchive(root: root)
            #expect(try await IngestTests.store(IngestTests.dataSet(), to: archive.ingestor) == nil)
            // As a catalog from before migration 2 has it.
            try await archive.catalog.pool.write { db in try db.execute(sql: "UPDATE series SET attributes = NULL") }
            // SOP Class UID is a column at image level only: at series level the kept header answers it.
            let query = try CatalogQuery(identifier: DataSet([DataElement(tag: Tag(0x0008, 0x0052), vr: .CS, strings: ["SERIES"]),
                                                              DataElement(tag: .sopClassUID, vr: .UI, strings: [IngestTests.ctImage])]),
                                         model: .studyRoot)
            let engine = QueryEngine(catalog: archive.catalog, blobs: archive.blobs)
            #expect(try await engine.matches(query).isEmpty)
            let report = try await archive.recover()
            #expect(report.queryHeadersKept == 1)
            #expect(try await engine.matches(query).count == 1)
            #expect(try await archive.recover().queryHeadersKept == 0, "done once")
        }
    }

    @Test func aBlobStoredJustBeforeACrashIsRecataloged() async throws {
        try await Self.withDirectory { root in
            let archive = try LocalArchive(root: root)
            let id = try await Self.storeBlobOnly(IngestTests.dataSet(instance: "1.2.3.4.7"), in: archive)
            // A staged file of an instance that never finished.
            _ = FileManager.default.createFile(atPath: archive.blobs.stagingDirectory + "/left.tmp", contents: Data([1, 2, 3]))
            let report = try await LocalArchive(root: root).recover()
            #expect(report.recataloged == 1)
            #expect(report.removedStagedFiles == 1)
            #expect(report.missing.isEmpty && report.unreadable.isEmpty)
            let versions = try await archive.catalog.versions(of: "1.2.3.4.7")
            #expect(versions.map(\.blob) == [id])
            #expect(versions.map(\.source) == ["recovered"])
            #expect(try await archive.recover() == RecoveryReport(), "a second pass finds nothing")
        }
    }

    @Test func aCatalogedBlobThatIsGoneIsReported() async throws {
        try await Self.withDirectory { root in
            let archive = try LocalArchive(root: root)
            #expect(try await IngestTests.store(IngestTests.dataSet(), to: archive.ingestor) == nil)
            let id = try #require(try await archive.catalog.versions(of: "1.2.3.4.1").first?.blob)
            try FileManager.default.removeItem(atPath: try #require(archive.blobs.localPath(of: id)))
            let report = try await archive.recover()
            #expect(report.missing == [id])
            #expect(try await archive.catalog.counts().versions == 1, "the row stays: the loss is reported, not hidden")
        }
    }

    @Test func aBlobWhoseBytesNoLongerMatchItsNameIsNotRecorded() async throws {
        try await Self.withDirectory { root in
            let archive = try LocalArchive(root: root)
            let id = try await Self.storeBlobOnly(IngestTests.dataSet(), in: archive)
            let path = try #require(archive.blobs.localPath(of: id))
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seek(toOffset: 200)
            try handle.write(contentsOf: Data([0xFF]))
            try handle.close()
            let report = try await archive.recover()
            #expect(report.unreadable == [id])
            #expect(try await archive.catalog.counts().versions == 0)
            #expect(FileManager.default.fileExists(atPath: path), "never deleted")
        }
    }

    @Test func aCatalogIsRebuiltFromTheBlobsAloneWithVersionsInOrder() async throws {
        try await Self.withDirectory { root in
            let archive = try LocalArchive(root: root)
            for (instance, pixels) in [("1.2.3.4.1", [UInt8](repeating: 1, count: 64)), ("1.2.3.4.2", [2, 2]), ("1.2.3.4.1", [3, 3])] {
                #expect(try await IngestTests.store(IngestTests.dataSet(instance: instance, pixels: pixels), to: archive.ingestor, instance: instance) == nil)
            }
            let before = try await archive.catalog.versions(of: "1.2.3.4.1")
            // Age the blobs in the order they arrived, a second apart.
            let start = Date(timeIntervalSince1970: 1_700_000_000)
            for (offset, version) in before.enumerated() {
                try FileManager.default.setAttributes([.modificationDate: start.addingTimeInterval(Double(offset))],
                                                      ofItemAtPath: try #require(archive.blobs.localPath(of: version.blob)))
            }
            let (report, movedTo) = try await LocalArchive.rebuildCatalog(in: root)
            #expect(report.recataloged == 3)
            let old = try #require(movedTo)
            #expect(FileManager.default.fileExists(atPath: old), "the old catalog is kept")
            let rebuilt = try Catalog(path: LocalArchive.catalogPath(in: root))
            #expect(try await rebuilt.counts() == Catalog.Counts(patients: 1, studies: 1, series: 1, instances: 2, versions: 3))
            let after = try await rebuilt.versions(of: "1.2.3.4.1")
            #expect(after.map(\.blob) == before.map(\.blob))
            #expect(after.map(\.number) == [1, 2])
            #expect(after.allSatisfy { $0.source == "rebuild" })
        }
    }
}

extension RecoveryTests {
    @Test func recoveryLeavesTheStagingOfALiveImportAlone() async throws {
        try await Self.withDirectory { root in
            let importing = try LocalArchive(root: root, stagingFolder: "import")
            #expect(importing.ingestor.stagingDirectory.hasSuffix("/tmp/import-\(getpid())"))
            let staging = try StagingFile(in: importing.ingestor.stagingDirectory)
            try staging.write([1, 2, 3])
            // A folder of a process that is gone is a crash's leftover.
            try FileManager.default.createDirectory(atPath: root + "/tmp/import-999999999", withIntermediateDirectories: true)
            let report = try await LocalArchive(root: root).recover()
            #expect(report.removedStagedFiles == 1)
            #expect(FileManager.default.fileExists(atPath: staging.path), "the live import's staged file is kept")
            #expect(!FileManager.default.fileExists(atPath: root + "/tmp/import-999999999"))
            staging.discard()
        }
    }
}
