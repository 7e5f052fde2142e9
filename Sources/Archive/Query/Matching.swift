import DICOM

/// Choices PS3.4 leaves to the implementation.
public struct MatchOptions: Sendable, Equatable {
    /// Person names compared regardless of case (C.2.2.2.1 and C.2.2.2.4 leave PN to the
    /// implementation; most archives ignore case, so that is the default).
    public var caseInsensitivePersonNames: Bool

    public init(caseInsensitivePersonNames: Bool = true) {
        self.caseInsensitivePersonNames = caseInsensitivePersonNames
    }
}

extension MatchKey {
    /// Whether an entity's attributes match this key (PS3.4 C.2.2.2). A multi-valued
    /// attribute matches when any one of its values does; an absent or empty attribute
    /// matches only universal and empty-value keys.
    public func matches(_ candidate: DataSet, options: MatchOptions = MatchOptions(), inherited: SpecificCharacterSet? = nil) -> Bool {
        switch matching {
        case .universal:
            return true
        case .emptyValue:
            guard let element = candidate[tag] else { return true }
            return (element.sequenceItems?.isEmpty ?? true) && (element.bytes?.allSatisfy { $0 == 0x20 || $0 == 0 } ?? true)
        case .sequence(let keys):
            let characterSet = candidate.characterSet(inherited: inherited)
            return (candidate[tag]?.sequenceItems ?? []).contains { item in
                keys.allSatisfy { $0.matches(item.dataSet, options: options, inherited: characterSet) }
            }
        case .single, .uidList, .valueList, .wildcard, .range:
            guard let element = candidate[tag],
                  let values = Self.values(of: element, characterSet: candidate.characterSet(inherited: inherited))
            else { return false }
            return values.contains { matches(value: $0, options: options) }
        }
    }

    /// One value of the entity's attribute against the key.
    func matches(value: String, options: MatchOptions) -> Bool {
        let ignoringCase = vr == .PN && options.caseInsensitivePersonNames
        switch matching {
        case .single(let wanted):
            switch vr {
            case .PN:
                return Self.comparable(name: value, like: wanted, ignoringCase: ignoringCase) == Self.comparable(name: wanted, like: wanted, ignoringCase: ignoringCase)
            case .DA, .TM, .DT:
                guard let span = DateRange.span(of: wanted, vr: vr), let moment = DateRange.span(of: value, vr: vr) else { return value == wanted }
                return span.contains(moment.lowerBound)
            case .IS, .DS, .US, .SS, .UL, .SL, .SV, .UV, .FL, .FD:
                guard let number = Double(value), let wantedNumber = Double(wanted) else { return value == wanted }
                return number == wantedNumber
            default:
                return value == wanted
            }
        case .uidList(let uids):
            return uids.contains(value)
        case .valueList(let values):
            return values.contains(value[...].trimmingSpaces)
        case .wildcard(let pattern):
            let subject = vr == .PN ? Self.comparable(name: value, like: pattern, ignoringCase: ignoringCase) : value
            return Wildcard.matches(subject, pattern: ignoringCase ? pattern.lowercased() : pattern)
        case .range(let lower, let upper):
            guard let moment = DateRange.span(of: value, vr: vr)?.lowerBound else { return false }
            if let lower, let bound = DateRange.span(of: lower, vr: vr), moment < bound.lowerBound { return false }
            if let upper, let bound = DateRange.span(of: upper, vr: vr), moment > bound.upperBound { return false }
            return true
        case .universal, .emptyValue, .sequence:
            return true
        }
    }

    /// A person name as compared: only the alphabetic group unless the query names other
    /// groups, empty trailing components dropped ("DOE^JOHN^^" is "DOE^JOHN", PS3.5 6.2.1).
    static func comparable(name: String, like query: String, ignoringCase: Bool) -> String {
        let groups = name.split(separator: "=", omittingEmptySubsequences: false)
        let wantedGroups = query.contains("=") ? groups : Array(groups.prefix(1))
        var text = wantedGroups.map { group in
            var components = group.split(separator: "^", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            while components.last?.isEmpty == true { components.removeLast() }
            return components.joined(separator: "^")
        }.joined(separator: "=")
        while text.hasSuffix("=") { text.removeLast() }
        return ignoringCase ? text.lowercased() : text
    }

    /// The values of an element as text: strings split at backslashes, numbers of binary
    /// VRs written out; nil when they cannot be decoded (no match, rather than a guess).
    static func values(of element: DataElement, characterSet: SpecificCharacterSet) -> [String]? {
        do {
            switch element.valueVR {
            case .US, .SS, .UL, .SL, .SV, .UV: return try element.integers().map(String.init)
            case .FL, .FD: return try element.doubles().map { String($0) }
            case .AT: return try element.attributeTags().map(\.hexString)
            case .OB, .OW, .OF, .OD, .OL, .OV, .UN, .SQ: return nil
            default: return try element.strings(characterSet: characterSet)
            }
        } catch {
            return nil
        }
    }
}

/// PS3.4 C.2.2.2.4: `*` matches any run of characters, the empty one included; `?` any
/// single character; everything else itself.
enum Wildcard {
    static func matches(_ text: String, pattern: String) -> Bool {
        let text = Array(text)
        let pattern = Array(pattern)
        var t = 0
        var p = 0
        // Where the last `*` was, and the text position it has been stretched to.
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                t += 1
                p += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = (p, t)
                p += 1
            } else if let last = star {
                // Give the last `*` one more character and try again from there.
                star = (last.pattern, last.text + 1)
                p = last.pattern + 1
                t = last.text + 1
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

extension Substring {
    /// Without leading and trailing spaces (string values are padded with them, PS3.5 6.2).
    var trimmingSpaces: String {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
