import DICOM
import Foundation
import GRDB

/// The catalog columns that hold query attributes, the level each belongs to, and how a
/// key on one narrows the SQL search. The SQL only ever narrows to a superset: every row
/// it returns is still checked by `MatchKey.matches`, which alone decides.
struct QueryColumn: Sendable {
    let tag: Tag
    let vr: VR
    let level: QueryLevel
    /// An SQL expression over the aliases p (patient), s (study), r (series), i (instance), v (version).
    let sql: String
    /// Whether the column holds several values joined by backslashes.
    var isMultiValued = false
    var isInteger = false

    /// The table alias of each level's row.
    static let alias: [QueryLevel: String] = [.patient: "p", .study: "s", .series: "r", .image: "i"]

    /// The attributes the catalog keeps as they were sent, then those it counts or derives.
    static let all: [QueryColumn] = CatalogAttribute.all.map { attribute in
        QueryColumn(tag: attribute.tag, vr: attribute.vr, level: attribute.level, sql: "\(alias[attribute.level]!).\(attribute.column)",
                    isInteger: attribute.isInteger)
    } + [
        // PS3.4 C.6.1.1.2: Number of Patient Related Studies, Series, Instances.
        QueryColumn(tag: .numberOfPatientRelatedStudies, vr: .IS, level: .patient, sql: "(SELECT count(*) FROM study WHERE patientRef = p.id)", isInteger: true),
        QueryColumn(tag: .numberOfPatientRelatedSeries, vr: .IS, level: .patient,
                    sql: "(SELECT ifnull(sum(numberOfSeries), 0) FROM study WHERE patientRef = p.id)", isInteger: true),
        QueryColumn(tag: .numberOfPatientRelatedInstances, vr: .IS, level: .patient,
                    sql: "(SELECT ifnull(sum(numberOfInstances), 0) FROM study WHERE patientRef = p.id)", isInteger: true),
        // PS3.4 C.6.1.1.5: Modalities in Study; C.6.1.1.3: the study's and series' counts.
        QueryColumn(tag: .modalitiesInStudy, vr: .CS, level: .study, sql: "s.modalitiesInStudy", isMultiValued: true),
        QueryColumn(tag: .numberOfStudyRelatedSeries, vr: .IS, level: .study, sql: "s.numberOfSeries", isInteger: true),
        QueryColumn(tag: .numberOfStudyRelatedInstances, vr: .IS, level: .study, sql: "s.numberOfInstances", isInteger: true),
        QueryColumn(tag: .numberOfSeriesRelatedInstances, vr: .IS, level: .series, sql: "r.numberOfInstances", isInteger: true),
        // PS3.18 10.6.3.3.3: Available Transfer Syntax UID of an instance.
        QueryColumn(tag: .availableTransferSyntaxUID, vr: .UI, level: .image, sql: "v.transferSyntaxUID"),
    ]

    /// The columns a query at `level` can read: its own level's and those above.
    static func available(at level: QueryLevel) -> [Tag: QueryColumn] {
        let depth = QueryLevel.allCases.firstIndex(of: level)!
        let levels = Set(QueryLevel.allCases.prefix(depth + 1))
        return Dictionary(uniqueKeysWithValues: all.filter { levels.contains($0.level) }.map { ($0.tag, $0) })
    }

    /// A condition every row matching `key` meets, or nil when SQL cannot narrow soundly.
    func condition(for key: MatchKey, options: MatchOptions) -> (sql: String, arguments: [any DatabaseValueConvertible])? {
        if isInteger || isMultiValued { return nil }
        switch key.matching {
        case .single(let value) where vr == .PN, .wildcard(let value) where vr == .PN:
            // Trailing empty components ("DOE^JOHN^^") and other groups ("=...") follow the
            // alphabetic name: a prefix pattern keeps them in.
            if options.caseInsensitivePersonNames {
                // LIKE ignores case for ASCII only, so a name with other letters is left to Swift.
                guard value.unicodeScalars.allSatisfy(\.isASCII) else { return nil }
                return ("\(sql) LIKE ? ESCAPE '\\'", [Self.likePattern(value) + "%"])
            }
            return ("\(sql) GLOB ?", [Self.globPattern(value) + "*"])
        case .single(let value) where vr == .DA:
            guard let date = DICOMDate(value) else { return nil }
            return dateCondition(from: date.description, to: date.description)
        case .range(let lower, let upper) where vr == .DA:
            let from = lower.flatMap(DICOMDate.init)?.description
            let to = upper.flatMap(DICOMDate.init)?.description
            if (lower != nil && from == nil) || (upper != nil && to == nil) { return nil }
            return dateCondition(from: from ?? "00000000", to: to ?? "99999999")
        case .single(let value) where vr != .TM && vr != .DT:
            return ("\(sql) = ?", [value])
        case .uidList(let values), .valueList(let values):
            return ("\(sql) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))", values)
        case .wildcard(let pattern):
            return ("\(sql) GLOB ?", [Self.globPattern(pattern)])
        case .emptyValue:
            return ("\(sql) = ''", [])
        default:
            return nil
        }
    }

    /// Dates are stored as sent: YYYYMMDD compares as text; the old YYYY.MM.DD form is left to Swift.
    private func dateCondition(from: String, to: String) -> (sql: String, arguments: [any DatabaseValueConvertible]) {
        ("(\(sql) BETWEEN ? AND ? OR \(sql) LIKE '____.__.__')", [from, to])
    }

    /// PS3.4 wild cards as a GLOB pattern: `*` and `?` mean the same; `[` is literal.
    static func globPattern(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: "[", with: "[[]")
    }

    /// PS3.4 wild cards as a LIKE pattern with `\` as the escape.
    static func likePattern(_ pattern: String) -> String {
        var result = ""
        for character in pattern {
            switch character {
            case "*": result += "%"
            case "?": result += "_"
            case "%", "_", "\\": result += "\\" + String(character)
            default: result.append(character)
            }
        }
        return result
    }
}
