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

    static let all: [QueryColumn] = [
        QueryColumn(tag: .patientID, vr: .LO, level: .patient, sql: "p.patientID"),
        QueryColumn(tag: Tag.issuerOfPatientID, vr: .LO, level: .patient, sql: "p.issuerOfPatientID"),
        QueryColumn(tag: .patientName, vr: .PN, level: .patient, sql: "p.patientName"),
        QueryColumn(tag: Tag.patientBirthDate, vr: .DA, level: .patient, sql: "p.patientBirthDate"),
        QueryColumn(tag: Tag.patientSex, vr: .CS, level: .patient, sql: "p.patientSex"),
        // PS3.4 C.6.1.1.2: Number of Patient Related Studies, Series, Instances.
        QueryColumn(tag: Tag.numberOfPatientRelatedStudies, vr: .IS, level: .patient, sql: "(SELECT count(*) FROM study WHERE patientRef = p.id)", isInteger: true),
        QueryColumn(tag: Tag.numberOfPatientRelatedSeries, vr: .IS, level: .patient,
                    sql: "(SELECT ifnull(sum(numberOfSeries), 0) FROM study WHERE patientRef = p.id)", isInteger: true),
        QueryColumn(tag: Tag.numberOfPatientRelatedInstances, vr: .IS, level: .patient,
                    sql: "(SELECT ifnull(sum(numberOfInstances), 0) FROM study WHERE patientRef = p.id)", isInteger: true),

        QueryColumn(tag: .studyInstanceUID, vr: .UI, level: .study, sql: "s.studyInstanceUID"),
        QueryColumn(tag: .studyDate, vr: .DA, level: .study, sql: "s.studyDate"),
        QueryColumn(tag: Tag.studyTime, vr: .TM, level: .study, sql: "s.studyTime"),
        QueryColumn(tag: Tag.accessionNumber, vr: .SH, level: .study, sql: "s.accessionNumber"),
        QueryColumn(tag: Tag.studyID, vr: .SH, level: .study, sql: "s.studyID"),
        QueryColumn(tag: Tag.studyDescription, vr: .LO, level: .study, sql: "s.studyDescription"),
        QueryColumn(tag: Tag.referringPhysicianName, vr: .PN, level: .study, sql: "s.referringPhysicianName"),
        QueryColumn(tag: Tag.modalitiesInStudy, vr: .CS, level: .study, sql: "s.modalitiesInStudy", isMultiValued: true),
        QueryColumn(tag: Tag.numberOfStudyRelatedSeries, vr: .IS, level: .study, sql: "s.numberOfSeries", isInteger: true),
        QueryColumn(tag: Tag.numberOfStudyRelatedInstances, vr: .IS, level: .study, sql: "s.numberOfInstances", isInteger: true),

        QueryColumn(tag: .seriesInstanceUID, vr: .UI, level: .series, sql: "r.seriesInstanceUID"),
        QueryColumn(tag: .modality, vr: .CS, level: .series, sql: "r.modality"),
        QueryColumn(tag: Tag.seriesNumber, vr: .IS, level: .series, sql: "r.seriesNumber", isInteger: true),
        QueryColumn(tag: Tag.seriesDescription, vr: .LO, level: .series, sql: "r.seriesDescription"),
        QueryColumn(tag: Tag.bodyPartExamined, vr: .CS, level: .series, sql: "r.bodyPartExamined"),
        QueryColumn(tag: Tag.seriesDate, vr: .DA, level: .series, sql: "r.seriesDate"),
        QueryColumn(tag: Tag.seriesTime, vr: .TM, level: .series, sql: "r.seriesTime"),
        QueryColumn(tag: Tag.numberOfSeriesRelatedInstances, vr: .IS, level: .series, sql: "r.numberOfInstances", isInteger: true),

        QueryColumn(tag: .sopInstanceUID, vr: .UI, level: .image, sql: "i.sopInstanceUID"),
        QueryColumn(tag: .sopClassUID, vr: .UI, level: .image, sql: "i.sopClassUID"),
        QueryColumn(tag: Tag.instanceNumber, vr: .IS, level: .image, sql: "i.instanceNumber", isInteger: true),
        QueryColumn(tag: Tag.numberOfFrames, vr: .IS, level: .image, sql: "i.numberOfFrames", isInteger: true),
        // PS3.18 10.6.3.3.3: Available Transfer Syntax UID of an instance.
        QueryColumn(tag: Tag.availableTransferSyntaxUID, vr: .UI, level: .image, sql: "v.transferSyntaxUID"),
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
