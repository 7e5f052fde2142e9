import Archive
import DICOM
import DICOMNetwork

/// What a PACS holds of a study, asked by study-root C-FIND (PS3.4 C.6.2): the studies'
/// numbers of instances first, many studies a query; where one falls short, each series'
/// number; where a series falls short, its SOP Instance UIDs — so an archive of complete
/// studies costs one query per fifty studies.
struct PACSComparison {

    let association: RequestorAssociation

    /// How many instances the PACS holds of each of these studies, asked in one C-FIND by
    /// List of UID Matching (PS3.4 C.2.2.2.2); a study it does not hold is absent, one it
    /// holds without saying how many instances maps to nil.
    func instanceCounts(of studies: [String]) async throws -> [String: Int?] {
        let matches = try await find(level: "STUDY", study: studies.joined(separator: "\\"), returning: [Tag.numberOfStudyRelatedInstances])
        var counts: [String: Int?] = [:]
        for match in matches {
            if let uid = match.uid(.studyInstanceUID) { counts[uid] = number(match, Tag.numberOfStudyRelatedInstances) }
        }
        return counts
    }

    /// The instances of `instances` (one study's, as held here) that the PACS does not hold,
    /// given what it said of the study as a whole.
    func missing(study: String, instances: [FailbackInstance], held count: Int??) async throws -> [FailbackInstance] {
        guard let count else { return instances }
        if count == instances.count { return [] }
        let series = try await find(level: "SERIES", study: study, returning: [.seriesInstanceUID, Tag.numberOfSeriesRelatedInstances])
        var counts: [String: Int?] = [:]
        for match in series {
            if let uid = match.uid(.seriesInstanceUID) { counts[uid] = number(match, Tag.numberOfSeriesRelatedInstances) }
        }
        var missing: [FailbackInstance] = []
        for (uid, ours) in Dictionary(grouping: instances, by: \.seriesInstanceUID).sorted(by: { $0.key < $1.key }) {
            guard let theirs = counts[uid] else {
                missing += ours // the PACS has none of this series
                continue
            }
            if let theirs, theirs == ours.count { continue }
            let present = try await sopInstances(study: study, series: uid)
            missing += ours.filter { !present.contains($0.sopInstanceUID) }
        }
        let order = Dictionary(instances.enumerated().map { ($1.sopInstanceUID, $0) }) { first, _ in first }
        return missing.sorted { order[$0.sopInstanceUID, default: 0] < order[$1.sopInstanceUID, default: 0] }
    }

    /// The SOP Instance UIDs the PACS holds in a study (or one of its series).
    func sopInstances(study: String, series: String? = nil) async throws -> Set<String> {
        let matches = try await find(level: "IMAGE", study: study, series: series, returning: [.sopInstanceUID])
        return Set(matches.compactMap { $0.uid(.sopInstanceUID) })
    }

    private func find(level: String, study: String, series: String? = nil, returning keys: [Tag]) async throws -> [DataSet] {
        var identifier = DataSet()
        identifier[Tag.queryRetrieveLevel] = DataElement(tag: Tag.queryRetrieveLevel, vr: .CS, strings: [level])
        identifier[.studyInstanceUID] = DataElement(tag: .studyInstanceUID, vr: .UI, strings: study.split(separator: "\\").map(String.init))
        if let series { identifier[.seriesInstanceUID] = DataElement(tag: .seriesInstanceUID, vr: .UI, strings: [series]) }
        for key in keys where identifier[key] == nil {
            identifier[key] = DataElement(tag: key, vr: DataDictionary.entry(for: key)?.vrs.first ?? .UN, bytes: [])
        }
        let (matches, status) = try await association.find(identifier, sopClassUID: SOPClass.studyRootFind)
        guard status.category == .success else {
            let what = study.contains("\\") ? "\(study.split(separator: "\\").count) studies" : "study \(study)"
            throw FailbackError.queryFailed("a \(level)-level C-FIND of \(what) ended with status \(status)")
        }
        return matches
    }

    private func number(_ match: DataSet, _ tag: Tag) -> Int? { (try? match.int(tag)) ?? nil }
}
