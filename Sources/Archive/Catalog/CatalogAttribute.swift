import DICOM
import GRDB

/// One attribute the catalog keeps of an instance's header: its tag and VR, the level and
/// column that hold it, and the field of `InstanceAttributes` that carries it. Reading a
/// header (`InstanceAttributes.init`), the catalog's INSERTs (`Catalog.record`) and the query
/// columns (`QueryColumn.all`) all derive from `CatalogAttribute.all`: an attribute is added
/// here, and in a migration that adds its column.
struct CatalogAttribute: Sendable {
    enum Field: Sendable {
        /// Text as decoded in the data set's character set; empty when absent or undecodable.
        case text(WritableKeyPath<InstanceAttributes, String> & Sendable)
        case number(WritableKeyPath<InstanceAttributes, Int?> & Sendable)
        /// A UID the instance cannot be cataloged without (PS3.5 9.1), with its name for the error.
        case uid(WritableKeyPath<InstanceAttributes, String> & Sendable, name: String)
    }

    let tag: Tag
    let vr: VR
    let level: QueryLevel
    /// The column, in the table of `level` (patient, study, series, instance).
    let column: String
    let field: Field

    /// The level's unique key comes first; an entity's other columns are what its INSERT writes.
    static let all: [CatalogAttribute] = [
        CatalogAttribute(tag: .patientID, vr: .LO, level: .patient, column: "patientID", field: .text(\.patientID)),
        CatalogAttribute(tag: .issuerOfPatientID, vr: .LO, level: .patient, column: "issuerOfPatientID", field: .text(\.issuerOfPatientID)),
        CatalogAttribute(tag: .patientName, vr: .PN, level: .patient, column: "patientName", field: .text(\.patientName)),
        CatalogAttribute(tag: .patientBirthDate, vr: .DA, level: .patient, column: "patientBirthDate", field: .text(\.patientBirthDate)),
        CatalogAttribute(tag: .patientSex, vr: .CS, level: .patient, column: "patientSex", field: .text(\.patientSex)),

        CatalogAttribute(tag: .studyInstanceUID, vr: .UI, level: .study, column: "studyInstanceUID",
                         field: .uid(\.studyInstanceUID, name: "Study Instance UID")),
        CatalogAttribute(tag: .studyDate, vr: .DA, level: .study, column: "studyDate", field: .text(\.studyDate)),
        CatalogAttribute(tag: .studyTime, vr: .TM, level: .study, column: "studyTime", field: .text(\.studyTime)),
        CatalogAttribute(tag: .accessionNumber, vr: .SH, level: .study, column: "accessionNumber", field: .text(\.accessionNumber)),
        CatalogAttribute(tag: .studyID, vr: .SH, level: .study, column: "studyID", field: .text(\.studyID)),
        CatalogAttribute(tag: .studyDescription, vr: .LO, level: .study, column: "studyDescription", field: .text(\.studyDescription)),
        CatalogAttribute(tag: .referringPhysicianName, vr: .PN, level: .study, column: "referringPhysicianName",
                         field: .text(\.referringPhysicianName)),

        CatalogAttribute(tag: .seriesInstanceUID, vr: .UI, level: .series, column: "seriesInstanceUID",
                         field: .uid(\.seriesInstanceUID, name: "Series Instance UID")),
        CatalogAttribute(tag: .modality, vr: .CS, level: .series, column: "modality", field: .text(\.modality)),
        CatalogAttribute(tag: .seriesNumber, vr: .IS, level: .series, column: "seriesNumber", field: .number(\.seriesNumber)),
        CatalogAttribute(tag: .seriesDescription, vr: .LO, level: .series, column: "seriesDescription", field: .text(\.seriesDescription)),
        CatalogAttribute(tag: .bodyPartExamined, vr: .CS, level: .series, column: "bodyPartExamined", field: .text(\.bodyPartExamined)),
        CatalogAttribute(tag: .seriesDate, vr: .DA, level: .series, column: "seriesDate", field: .text(\.seriesDate)),
        CatalogAttribute(tag: .seriesTime, vr: .TM, level: .series, column: "seriesTime", field: .text(\.seriesTime)),

        CatalogAttribute(tag: .sopInstanceUID, vr: .UI, level: .image, column: "sopInstanceUID",
                         field: .uid(\.sopInstanceUID, name: "SOP Instance UID")),
        CatalogAttribute(tag: .sopClassUID, vr: .UI, level: .image, column: "sopClassUID", field: .uid(\.sopClassUID, name: "SOP Class UID")),
        CatalogAttribute(tag: .instanceNumber, vr: .IS, level: .image, column: "instanceNumber", field: .number(\.instanceNumber)),
        CatalogAttribute(tag: .numberOfFrames, vr: .IS, level: .image, column: "numberOfFrames", field: .number(\.numberOfFrames)),
    ]

    /// Those kept at `level`, unique key first.
    static func at(_ level: QueryLevel) -> [CatalogAttribute] { all.filter { $0.level == level } }

    var isInteger: Bool {
        if case .number = field { true } else { false }
    }

    /// This attribute's value in `attributes`, for a statement's arguments.
    func value(in attributes: InstanceAttributes) -> (any DatabaseValueConvertible)? {
        switch field {
        case .text(let path), .uid(let path, _): attributes[keyPath: path]
        case .number(let path): attributes[keyPath: path]
        }
    }

    /// The columns of `attributes` joined for an INSERT, each with a `?`.
    static func columns(_ attributes: [CatalogAttribute]) -> (names: String, placeholders: String) {
        (attributes.map(\.column).joined(separator: ", "), Array(repeating: "?", count: attributes.count).joined(separator: ", "))
    }
}
