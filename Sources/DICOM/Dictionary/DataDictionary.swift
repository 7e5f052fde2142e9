/// One attribute of the standard data dictionary (PS3.6 6).
public struct DictionaryEntry: Sendable, Hashable {
    public let tag: Tag
    /// The VRs the standard allows; several for "US or SS" and the like, none for
    /// the item and delimitation tags.
    public let vrs: [VR]
    public let vm: String
    public let name: String
    public let keyword: String
    public let isRetired: Bool

    /// The VR to assume in an implicit VR encoding when no other element decides.
    public var vr: VR? { vrs.first }
}

/// Look-ups in the data dictionary, generated from the standard by Scripts/generate-dictionary.py.
public enum DataDictionary {
    public static func entry(for tag: Tag) -> DictionaryEntry? {
        if let entry = tables.byTag[tag] { return entry }
        return tables.repeating.first { tag.rawValue & $0.mask == $0.value }?.entry(for: tag)
    }

    public static func entry(forKeyword keyword: String) -> DictionaryEntry? { tables.byKeyword[keyword] }

    /// All entries with a fixed tag, ascending.
    public static var entries: [DictionaryEntry] { tables.sorted }

    private struct RepeatingEntry: Sendable {
        let mask: UInt32
        let value: UInt32
        let template: DictionaryEntry

        func entry(for tag: Tag) -> DictionaryEntry {
            DictionaryEntry(tag: tag, vrs: template.vrs, vm: template.vm, name: template.name,
                            keyword: template.keyword, isRetired: template.isRetired)
        }
    }

    private struct Tables: Sendable {
        var byTag: [Tag: DictionaryEntry] = [:]
        var byKeyword: [String: DictionaryEntry] = [:]
        var repeating: [RepeatingEntry] = []
        var sorted: [DictionaryEntry] = []
    }

    private static let tables: Tables = {
        var tables = Tables()
        tables.byTag.reserveCapacity(5200)
        for line in generatedDataDictionary.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let pattern = fields[0]
            let vrs = fields[1].split(separator: " ").compactMap { VR(rawValue: String($0)) }
            let entry = { (tag: Tag) in
                DictionaryEntry(tag: tag, vrs: vrs, vm: String(fields[2]), name: String(fields[3]),
                                keyword: String(fields[5]), isRetired: fields[4] == "R")
            }
            if pattern.contains("x") {
                let mask = UInt32(String(pattern.map { $0 == "x" ? "0" : "F" }), radix: 16)!
                let value = UInt32(String(pattern.map { $0 == "x" ? "0" : $0 }), radix: 16)!
                let template = entry(Tag(rawValue: value))
                tables.repeating.append(RepeatingEntry(mask: mask, value: value, template: template))
                tables.byKeyword[template.keyword] = template
            } else {
                let made = entry(Tag(rawValue: UInt32(pattern, radix: 16)!))
                tables.byTag[made.tag] = made
                tables.byKeyword[made.keyword] = made
                tables.sorted.append(made)
            }
        }
        return tables
    }()
}

extension Tag {
    /// The tag of a standard keyword, e.g. `Tag(keyword: "PatientName")`.
    public init?(keyword: String) {
        guard let entry = DataDictionary.entry(forKeyword: keyword) else { return nil }
        self = entry.tag
    }

    /// The standard keyword, if the dictionary knows the tag.
    public var keyword: String? { DataDictionary.entry(for: self)?.keyword }
}
