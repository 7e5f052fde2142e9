/// A person name (VR PN, PS3.5 6.2.1): up to three component groups — alphabetic,
/// ideographic, phonetic — separated by "=", each of five components separated by "^".
public struct PersonName: Hashable, Sendable, CustomStringConvertible {
    public struct Components: Hashable, Sendable {
        public var familyName = ""
        public var givenName = ""
        public var middleName = ""
        public var namePrefix = ""
        public var nameSuffix = ""

        public init(familyName: String = "", givenName: String = "", middleName: String = "", namePrefix: String = "", nameSuffix: String = "") {
            self.familyName = familyName
            self.givenName = givenName
            self.middleName = middleName
            self.namePrefix = namePrefix
            self.nameSuffix = nameSuffix
        }

        init(_ text: Substring) {
            let parts = text.split(separator: "^", omittingEmptySubsequences: false).map(String.init)
            func part(_ index: Int) -> String { index < parts.count ? parts[index] : "" }
            self.init(familyName: part(0), givenName: part(1), middleName: part(2), namePrefix: part(3), nameSuffix: part(4))
        }

        var isEmpty: Bool { [familyName, givenName, middleName, namePrefix, nameSuffix].allSatisfy(\.isEmpty) }

        /// Trailing empty components are left out (PS3.5 6.2.1.1).
        public var text: String {
            var parts = [familyName, givenName, middleName, namePrefix, nameSuffix]
            while parts.last?.isEmpty == true { parts.removeLast() }
            return parts.joined(separator: "^")
        }
    }

    public var alphabetic: Components
    public var ideographic: Components
    public var phonetic: Components

    public init(alphabetic: Components = .init(), ideographic: Components = .init(), phonetic: Components = .init()) {
        self.alphabetic = alphabetic
        self.ideographic = ideographic
        self.phonetic = phonetic
    }

    /// Parses the decoded text of one PN value.
    public init(_ text: String) {
        let groups = text.split(separator: "=", omittingEmptySubsequences: false)
        self.init(alphabetic: Components(groups.first ?? ""),
                  ideographic: groups.count > 1 ? Components(groups[1]) : .init(),
                  phonetic: groups.count > 2 ? Components(groups[2]) : .init())
    }

    /// The DICOM encoding, trailing empty groups left out.
    public var description: String {
        var groups = [alphabetic.text, ideographic.text, phonetic.text]
        while groups.last?.isEmpty == true { groups.removeLast() }
        return groups.joined(separator: "=")
    }
}
