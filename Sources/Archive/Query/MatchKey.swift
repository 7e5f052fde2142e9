import DICOM

/// One attribute of a query identifier (C-FIND, QIDO-RS) and how it matches, by the rules
/// of PS3.4 C.2.2.2. Every key is also a return key: its value comes back in each match.
public struct MatchKey: Sendable, Equatable {
    public let tag: Tag
    /// The VR the value is compared as: the identifier's, or the dictionary's for UN.
    public let vr: VR
    public let matching: Matching

    public enum Matching: Sendable, Equatable {
        /// C.2.2.2.3: a zero-length value matches every entity.
        case universal
        /// C.2.2.2.1.1: `""` matches entities whose value is empty or absent.
        case emptyValue
        /// C.2.2.2.1: the value, exactly (PN case-insensitively where configured).
        case single(String)
        /// C.2.2.2.2: any one of these UIDs.
        case uidList([String])
        /// C.2.2.2.8 (multiple value matching): any one of these values, each exactly; for
        /// the short string VRs (AE, CS, SH, LO), as `CT\\MR` for Modalities in Study.
        case valueList([String])
        /// C.2.2.2.4: `*` any run of characters, `?` any one character.
        case wildcard(String)
        /// C.2.2.2.5: a date, time or datetime range; a missing side is open.
        case range(lower: String?, upper: String?)
        /// C.2.2.2.6: an entity matches when one of its items matches every key of the
        /// query's item. No keys at all (an empty item, or no item) is universal matching.
        case sequence([MatchKey])
    }

    public init(tag: Tag, vr: VR, matching: Matching) {
        self.tag = tag
        self.vr = vr
        self.matching = matching
    }

    /// The key an identifier's element asks for; `characterSet` is the identifier's.
    public init(_ element: DataElement, characterSet: SpecificCharacterSet) throws(QueryError) {
        tag = element.tag
        vr = element.valueVR
        if vr == .SQ || element.sequenceItems != nil {
            let items = element.sequenceItems ?? []
            guard items.count <= 1 else {
                throw QueryError(.invalidIdentifier, "\(element.tag): a sequence key holds one item at most (PS3.4 C.2.2.2.6)")
            }
            let inner = items.first?.dataSet
            let innerSet = inner?.characterSet(inherited: characterSet) ?? characterSet
            var keys: [MatchKey] = []
            for innerElement in inner ?? DataSet() where innerElement.tag != .specificCharacterSet {
                keys.append(try MatchKey(innerElement, characterSet: innerSet))
            }
            matching = keys.contains { $0.matching != .universal } ? .sequence(keys) : .universal
            return
        }
        switch vr {
        case .US, .SS, .UL, .SL, .SV, .UV, .FL, .FD, .AT:
            // Binary values: matched as the numbers they hold.
            guard let values = Self.values(of: element, characterSet: characterSet) else {
                throw QueryError(.invalidIdentifier, "\(element.tag): the value cannot be read as \(vr)")
            }
            matching = values.first.map { .single($0) } ?? .universal
            return
        case .OB, .OW, .OF, .OD, .OL, .OV, .UN:
            // Bulk values are never matched (PS3.4 C.2.2.2): asked for, they are returned.
            matching = .universal
            return
        default:
            break
        }
        let text: String
        do {
            // Strings keep backslashes here: a UID list or a value is split below, by VR.
            text = try element.string(characterSet: characterSet)
        } catch {
            throw QueryError(.invalidIdentifier, "\(element.tag): \(error)")
        }
        matching = Self.matching(of: text, vr: vr)
    }

    static func matching(of text: String, vr: VR) -> Matching {
        if text.isEmpty { return .universal }
        if text == "\"\"" { return .emptyValue }
        switch vr {
        case .UI:
            let uids = text.split(separator: "\\").map(String.init)
            return uids.count > 1 ? .uidList(uids) : .single(uids.first ?? "")
        case .DA, .TM, .DT:
            if let (lower, upper) = DateRange.split(text, vr: vr) { return .range(lower: lower, upper: upper) }
            return .single(text)
        case .AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UR, .UT:
            if text.allSatisfy({ $0 == "*" }) { return .universal } // C.2.2.2.4: "*" is universal matching
            if [.AE, .CS, .SH, .LO].contains(vr), text.contains("\\"), !text.contains("*"), !text.contains("?") {
                return .valueList(text.split(separator: "\\").map(\.trimmingSpaces))
            }
            if text.contains("*") || text.contains("?") { return .wildcard(text) }
            return .single(text)
        default:
            return .single(text)
        }
    }
}

/// Why a query cannot be run; maps to a C-FIND status or an HTTP problem at the boundary.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The identifier is not one this information model and level can answer
        /// (C-FIND A900, HTTP 400).
        case invalidIdentifier
        /// The catalog failed (C-FIND C000, HTTP 500).
        case unableToProcess
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
