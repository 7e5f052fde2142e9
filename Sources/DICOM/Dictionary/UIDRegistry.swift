/// One UID registered in PS3.6 Annex A.
public struct UIDEntry: Sendable, Hashable {
    public let uid: String
    public let name: String
    /// "SOP Class", "Transfer Syntax", "Well-known SOP Instance", ...
    public let type: String
    public let keyword: String
    public let isRetired: Bool
}

/// Look-ups in the UID registry, generated from the standard by Scripts/generate-dictionary.py.
public enum UIDRegistry {
    public static func entry(for uid: String) -> UIDEntry? { byUID[uid] }

    public static func entries(ofType type: String) -> [UIDEntry] {
        byUID.values.filter { $0.type == type }.sorted { $0.uid < $1.uid }
    }

    private static let byUID: [String: UIDEntry] = {
        var table: [String: UIDEntry] = [:]
        for line in generatedUIDRegistry.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            table[fields[0]] = UIDEntry(uid: fields[0], name: fields[1], type: fields[2],
                                        keyword: fields[4], isRetired: fields[3] == "R")
        }
        return table
    }()
}
