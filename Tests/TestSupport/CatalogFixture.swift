import Archive
import Foundation

/// A catalog in a fresh temporary directory, and catalog entries to record in it.
public enum CatalogFixture {
    public static func withCatalog(_ body: (Catalog) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try Catalog(path: directory + "/catalog.sqlite"))
    }

    public static func entry(instance: String, series: String = "1.2.3.2", study: String = "1.2.3.1", modality: String = "CT",
                      bytes: String = "a") -> CatalogEntry {
        var attributes = InstanceAttributes()
        attributes.patientID = "P1"
        attributes.patientName = "Doe^Jane"
        attributes.studyInstanceUID = study
        attributes.seriesInstanceUID = series
        attributes.sopInstanceUID = instance
        attributes.sopClassUID = "1.2.840.10008.5.1.4.1.1.2"
        attributes.modality = modality
        return CatalogEntry(attributes: attributes, blob: BlobID(of: Array(bytes.utf8)), size: bytes.utf8.count,
                            transferSyntaxUID: "1.2.840.10008.1.2.1", provenance: Provenance(source: .dimse, callingAETitle: "CT1"))
    }
}
