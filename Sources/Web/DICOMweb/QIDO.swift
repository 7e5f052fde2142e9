import Archive
import DICOM
import Hummingbird

/// QIDO-RS (PS3.18 10.6): a search's query parameters as a catalog query.
enum QIDO {
    /// The attributes returned at each level when `includefield` does not ask for more
    /// (PS3.18 tables 10.6.3-3 to 10.6.3-5), beside the keys of the search itself.
    static let defaults: [QueryLevel: [Tag]] = [
        .study: [.studyDate, Tag.studyTime, Tag.accessionNumber, Tag.instanceAvailability, Tag.modalitiesInStudy, Tag.referringPhysicianName,
                 Tag.studyDescription, .patientName, .patientID, Tag.patientBirthDate, Tag.patientSex, .studyInstanceUID,
                 Tag.studyID, Tag.numberOfStudyRelatedSeries, Tag.numberOfStudyRelatedInstances],
        .series: [.modality, Tag.instanceAvailability, Tag.seriesDescription, .studyInstanceUID, .seriesInstanceUID, Tag.seriesNumber,
                  Tag.numberOfSeriesRelatedInstances, Tag.performedProcedureStepStartDate, Tag.performedProcedureStepStartTime],
        .image: [.sopClassUID, .sopInstanceUID, Tag.instanceAvailability, Tag.availableTransferSyntaxUID, .studyInstanceUID, .seriesInstanceUID,
                 Tag.instanceNumber, Tag.rows, Tag.columns, Tag.bitsAllocated, Tag.numberOfFrames],
    ]

    /// A tag from a keyword (`PatientName`) or eight hex digits (`00100010`).
    static func tag(_ attribute: Substring) -> Tag? {
        Tag(hexString: String(attribute)) ?? DataDictionary.entry(forKeyword: String(attribute))?.tag
    }

    static func vr(of tag: Tag) -> VR { DataDictionary.entry(for: tag)?.vr ?? .UN }

    /// The catalog query of a search at `level`, the path's UIDs already fixed in `fixed`.
    /// `options` are the site's (`case-insensitive-names`): `fuzzymatching=true` makes person
    /// names match regardless of case; `false` — which OHIF always sends — leaves the site's
    /// choice as it is.
    static func query(level: QueryLevel, fixed: [Tag: String], parameters: [(Substring, Substring)],
                      options site: MatchOptions = MatchOptions()) throws(Problem) -> CatalogQuery {
        var keys: [Tag: MatchKey] = [:]
        var order: [Tag] = []
        func add(_ tag: Tag, _ value: String) throws(Problem) {
            let element = DataElement(tag: tag, vr: vr(of: tag), strings: value.isEmpty ? [] : [value])
            let key: MatchKey
            do {
                key = try MatchKey(element, characterSet: .utf8)
            } catch {
                throw Problem.badRequest("\(tag): \(error.message)")
            }
            if keys[tag] == nil { order.append(tag) }
            // A return key never widens a search already given a value.
            if keys[tag] == nil || key.matching != .universal { keys[tag] = key }
        }
        var options = site
        var offset = 0
        var limit: Int?
        var includeAll = false
        for (tag, uid) in fixed { try add(tag, uid) }
        for (name, value) in parameters {
            switch name {
            case "includefield":
                for field in value.split(separator: ",") {
                    if field == "all" {
                        includeAll = true
                    } else if let tag = tag(field) {
                        try add(tag, "")
                    } else {
                        throw Problem.badRequest("includefield: \"\(field)\" is neither a keyword nor a tag")
                    }
                }
            case "fuzzymatching":
                // PS3.18 8.3.4.1: fuzzy matching of person names; here, regardless of case.
                guard value == "true" || value == "false" else { throw Problem.badRequest("fuzzymatching must be true or false") }
                if value == "true" { options.caseInsensitivePersonNames = true }
            case "limit":
                guard let number = Int(value), number >= 0 else { throw Problem.badRequest("limit must be a whole number") }
                limit = number
            case "offset":
                guard let number = Int(value), number >= 0 else { throw Problem.badRequest("offset must be a whole number") }
                offset = number
            default:
                guard let tag = tag(name) else { throw Problem.badRequest("\"\(name)\" is not a query parameter, a keyword or a tag") }
                if let fixedValue = fixed[tag], fixedValue != String(value) {
                    throw Problem.badRequest("\(name) is already given by the path")
                }
                // PS3.18 8.3.4.1: several values, comma-separated, match any of them; only for
                // UIDs and codes, whose values cannot hold a comma (a description can).
                let vr = vr(of: tag)
                try add(tag, vr == .UI || vr == .CS ? value.replacingOccurrences(of: ",", with: "\\") : String(value))
            }
        }
        for tag in defaults[level] ?? [] where keys[tag] == nil { try add(tag, "") }
        var query = CatalogQuery(level: level, keys: order.compactMap { keys[$0] }, options: options, offset: offset, limit: limit)
        query.includeAll = includeAll
        return query
    }
}
