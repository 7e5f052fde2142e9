import Archive
import DICOM
import Foundation
import NIOCore
import TestSupport
import Testing
@testable import Web

/// A STOW-RS part goes into the archive as it arrives, through C-STORE's sink: its meta group
/// is read from however the bytes come, the data set is staged once, and what is refused —
/// by its meta group, its study, or its end — leaves nothing staged and nothing stored.
@Suite struct StowPartTests {
    static let provenance = Provenance(source: .stow, peerAddress: "test")

    /// Feeds `bytes` to a part in pieces of `piece` bytes, then ends it.
    static func send(_ bytes: [UInt8], piece: Int, to site: TestArchive, study: String? = nil,
                     midway: (() throws -> Void)? = nil) async throws -> DICOMweb.PartResult {
        var part = StowPart(ingestor: site.archive.ingestor, study: study, provenance: provenance)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + piece, bytes.count)
            try part.write(ByteBuffer(bytes: bytes[offset..<end]))
            if offset < bytes.count / 2, end >= bytes.count / 2 { try midway?() }
            offset = end
        }
        return await part.finish()
    }

    static func staged(_ site: TestArchive) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: site.archive.blobs.stagingDirectory)
    }

    @Test(arguments: [1, 7, 131, 4096])
    func aPartInAnyPiecesIsStoredAsTheSameBlobAsAnImport(piece: Int) async throws {
        let site = try TestArchive()
        let file = try DICOMwebTests.part10(instance: "1.2.3.7.1.\(piece)", series: "1.2.3.7.1", study: "1.2.3.7")
        let result = try await Self.send(file, piece: piece, to: site, study: "1.2.3.7") {
            // Halfway through, the part is one staged file: the data set goes there as it comes.
            let staged = try Self.staged(site)
            #expect(staged.count == 1)
        }
        #expect(result.failure == nil, "\(result.comment ?? "")")
        #expect(result.studyInstanceUID == "1.2.3.7" && result.seriesInstanceUID == "1.2.3.7.1" && result.sopInstanceUID == "1.2.3.7.1.\(piece)")
        #expect(try Self.staged(site).isEmpty)
        let stored = try #require(try await site.archive.catalog.versions(of: "1.2.3.7.1.\(piece)").first)
        #expect(stored.source == "stow")
        // The same data set imported from a file is the same blob: one meta group, Lifeboat's own.
        let other = try TestArchive()
        let path = other.root + "/in.dcm"
        try Data(file).write(to: URL(fileURLWithPath: path))
        guard case .imported = await Importer(ingestor: other.archive.ingestor).importFile(at: path) else { Issue.record("not imported"); return }
        #expect(try await other.archive.catalog.versions(of: "1.2.3.7.1.\(piece)").first?.blob == stored.blob)
    }

    @Test func whatIsRefusedLeavesNothingStagedNorStored() async throws {
        let site = try TestArchive()
        let file = try DICOMwebTests.part10(instance: "1.2.3.8.1.1", series: "1.2.3.8.1", study: "1.2.3.8")
        // Of another study than the path names (PS3.18 10.5.3.1).
        var result = try await Self.send(file, piece: 100, to: site, study: "1.2.3.1")
        #expect(result.failure == .studyMismatch && result.comment?.contains("1.2.3.8") == true)
        // Cut short in its data set, then within its meta group.
        result = try await Self.send(Array(file.dropLast(100)), piece: 100, to: site)
        #expect(result.failure == .cannotUnderstand)
        result = try await Self.send(Array(file.prefix(150)), piece: 10, to: site)
        #expect(result.failure == .cannotUnderstand && result.comment?.contains("meta group") == true)
        // Not Part 10; a meta group that never ends.
        result = try await Self.send(Array("not DICOM at all, but long enough to hold a preamble ".utf8) + [UInt8](repeating: 0, count: 200), piece: 64, to: site)
        #expect(result.failure == .cannotUnderstand && result.comment?.contains("Part 10") == true)
        let endless = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + [0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xFF, 0xFF]
            + [UInt8](repeating: 0x31, count: StowPart.metaLimit)
        result = try await Self.send(endless, piece: 4096, to: site)
        #expect(result.failure == .cannotUnderstand && result.comment?.contains("file meta group") == true)
        // A DICOMDIR is no instance.
        var directory = DataSet()
        directory[.sopClassUID] = DataElement(tag: .sopClassUID, vr: .UI, strings: [Importer.mediaStorageDirectory])
        directory[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: ["1.2.3.8.9"])
        result = try await Self.send(try DICOMFile(dataSet: directory).serialized(), piece: 50, to: site)
        #expect(result.failure == .sopClassNotSupported)

        #expect(try Self.staged(site).isEmpty)
        #expect(try await site.archive.catalog.counts().versions == 0)
    }

    @Test func aPartCutOffByTheRequestsEndLeavesNothing() async throws {
        let site = try TestArchive()
        let file = try DICOMwebTests.part10(instance: "1.2.3.6.1.1", series: "1.2.3.6.1", study: "1.2.3.6")
        var part = StowPart(ingestor: site.archive.ingestor, study: nil, provenance: Self.provenance)
        try part.write(ByteBuffer(bytes: file.prefix(file.count / 2)))
        #expect(try Self.staged(site).count == 1)
        part.cancel()
        #expect(try Self.staged(site).isEmpty)
        #expect(try await site.archive.catalog.counts().versions == 0)
    }
}
