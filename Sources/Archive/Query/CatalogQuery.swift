import DICOM

/// The levels of the query/retrieve information models (PS3.4 C.3), as (0008,0052) names them.
public enum QueryLevel: String, Sendable, CaseIterable {
    case patient = "PATIENT"
    case study = "STUDY"
    case series = "SERIES"
    case image = "IMAGE"

    /// The attribute whose value identifies an entity of this level (PS3.4 C.3.1–C.3.4).
    public var uniqueKey: Tag {
        switch self {
        case .patient: .patientID
        case .study: .studyInstanceUID
        case .series: .seriesInstanceUID
        case .image: .sopInstanceUID
        }
    }
}

/// The information models of PS3.4 C.6: Patient Root has every level, Study Root starts
/// at the study and carries the patient's attributes there.
public enum InformationModel: String, Sendable {
    case patientRoot, studyRoot

    public var levels: [QueryLevel] {
        switch self {
        case .patientRoot: [.patient, .study, .series, .image]
        case .studyRoot: [.study, .series, .image]
        }
    }
}

/// A search of the catalog: the level whose entities are returned and the keys they must
/// match (each also returned), as a C-FIND identifier or a QIDO-RS request gives them.
public struct CatalogQuery: Sendable {
    public var level: QueryLevel
    public var keys: [MatchKey]
    public var options: MatchOptions
    /// QIDO-RS paging: matches skipped, and the most returned.
    public var offset: Int
    public var limit: Int?
    /// Return every attribute the catalog knows of each match, not only the keys
    /// (QIDO-RS `includefield=all`).
    public var includeAll = false

    public init(level: QueryLevel, keys: [MatchKey], options: MatchOptions = MatchOptions(), offset: Int = 0, limit: Int? = nil) {
        self.level = level
        self.keys = keys
        self.options = options
        self.offset = offset
        self.limit = limit
    }


    /// A C-FIND identifier (PS3.4 C.4.1.1.3): its Query/Retrieve Level and its keys.
    public init(identifier: DataSet, model: InformationModel, options: MatchOptions = MatchOptions()) throws(QueryError) {
        let levelText = ((try? identifier.string(Tag.queryRetrieveLevel)) ?? nil) ?? ""
        guard !levelText.isEmpty else {
            throw QueryError(.invalidIdentifier, "Query/Retrieve Level (0008,0052) is missing")
        }
        guard let level = QueryLevel(rawValue: levelText), model.levels.contains(level) else {
            throw QueryError(.invalidIdentifier, "level \(levelText) is not one of \(model.levels.map(\.rawValue).joined(separator: ", "))")
        }
        let characterSet = identifier.specificCharacterSet
        var keys: [MatchKey] = []
        for element in identifier where element.tag != Tag.queryRetrieveLevel && element.tag != .specificCharacterSet {
            keys.append(try MatchKey(element, characterSet: characterSet))
        }
        self.init(level: level, keys: keys, options: options)
    }
}
