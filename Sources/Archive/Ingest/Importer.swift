import DICOM

/// Imports Part 10 files (a PACS export, a DICOMDIR's folder, a USB stick) through the same
/// pipeline as C-STORE: the data set is copied as it is, behind Lifeboat's own meta group.
public struct Importer: Sendable {
    public let ingestor: Ingestor
    /// Files that are not whole (`StructureCheck`) are kept as damaged versions rather than
    /// refused: to rescue what can be of a broken export.
    public let keepingDamaged: Bool

    public init(ingestor: Ingestor, keepingDamaged: Bool = false) {
        self.ingestor = ingestor
        self.keepingDamaged = keepingDamaged
    }

    public enum Outcome: Sendable, Equatable {
        case imported(IngestResult)
        /// Not whole, kept as asked (`keepingDamaged`) as a version that never hides an intact one; why.
        case keptDamaged(IngestResult, String)
        /// Not an instance: a DICOMDIR, say.
        case skipped(String)
        /// Not imported, and why.
        case refused(IngestError)
    }

    /// The Media Storage Directory Storage SOP class of a DICOMDIR (PS3.10 8.6).
    public static let mediaStorageDirectory = "1.2.840.10008.1.3.10"

    /// Imports one file; `provenance` says where it came from (by default: an import of `path`).
    public func importFile(at path: String, provenance: Provenance? = nil) async -> Outcome {
        let header: DICOMFile
        do {
            header = try DICOMFile(path: path, options: .headerOnly)
        } catch {
            return .refused(IngestError(.cannotUnderstand, "not a DICOM Part 10 file: \(error)"))
        }
        guard let sopClass = header.fileMeta.uid(.mediaStorageSOPClassUID), let instance = header.fileMeta.uid(.mediaStorageSOPInstanceUID) else {
            return .refused(IngestError(.cannotUnderstand, "the file meta information lacks its SOP class or instance UID"))
        }
        if sopClass == Self.mediaStorageDirectory { return .skipped("a DICOMDIR: its files are imported from the folder") }
        let staged: StagedBlob
        do {
            staged = try await BlockingIO.run { try stage(header, from: path, sopClass: sopClass, instance: instance) }
        } catch {
            if case .outOfSpace? = error as? BlobStoreError { return .refused(IngestError(.outOfSpace, "cannot copy it into the archive: \(error)")) }
            return .refused(IngestError(.cannotCopy, "cannot copy it into the archive: \(error)"))
        }
        do {
            // PS3.10 7.1: the meta group's SOP class and instance are the data set's.
            // Kept damaged only when asked: then the source file is checked too, to say so.
            let damage = keepingDamaged ? Self.damage(of: path) : nil
            let result = try await ingestor.ingest(staged, expecting: .init(sopClassUID: sopClass, sopInstanceUID: instance),
                                                   provenance: provenance ?? Provenance(source: .import, peerAddress: path), keepingDamaged: keepingDamaged)
            return damage.map { .keptDamaged(result, $0) } ?? .imported(result)
        } catch {
            return .refused(error)
        }
    }

    /// Why a file is not whole, if it is not.
    static func damage(of path: String) -> String? {
        do {
            _ = try StructureCheck.read(path: path)
            return nil
        } catch {
            return error.summary
        }
    }

    /// Copies the data set, 1 MiB at a time, behind a meta group of Lifeboat's.
    private func stage(_ header: DICOMFile, from path: String, sopClass: String, instance: String) throws -> StagedBlob {
        let file = try OpenFile(path: path)
        let staging = try StagingFile(in: ingestor.stagingDirectory)
        do {
            try staging.write(try BlobHeader.bytes(sopClassUID: sopClass, sopInstanceUID: instance, transferSyntaxUID: header.transferSyntax.uid))
            var offset = 132 + header.fileMeta.encodedLength(explicitVR: true)
            while offset < file.size {
                let chunk = try file.read(at: offset, upTo: 1 << 20)
                try staging.write(chunk)
                offset += chunk.count
            }
            return try staging.finish()
        } catch {
            staging.discard()
            throw error
        }
    }
}
