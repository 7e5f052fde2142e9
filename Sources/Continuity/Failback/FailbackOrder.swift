import Archive
import Foundation

/// The order studies go back to the PACS: those acquired during a downtime first, newest
/// first, then every other, newest first — what radiologists will open first is there first.
public enum FailbackOrder {
    public static func order(_ studies: [FailbackStudy], downtime: [DateInterval]) -> [(study: FailbackStudy, duringDowntime: Bool)] {
        let marked = studies.map { study in (study: study, duringDowntime: downtime.contains { $0.contains(study.lastReceivedAt) }) }
        return marked.sorted { a, b in
            if a.duringDowntime != b.duringDowntime { return a.duringDowntime }
            if a.study.lastReceivedAt != b.study.lastReceivedAt { return a.study.lastReceivedAt > b.study.lastReceivedAt }
            return a.study.studyInstanceUID < b.study.studyInstanceUID
        }
    }
}
