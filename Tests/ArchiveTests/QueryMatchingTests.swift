@testable import Archive
import DICOM
import Testing

/// The attribute matching rules of PS3.4 C.2.2.2, each against the standard's own wording
/// and examples where it gives them.
@Suite struct QueryMatchingTests {
    static func key(_ tag: Tag, _ vr: VR, _ value: String) throws -> MatchKey {
        try MatchKey(DataElement(tag: tag, vr: vr, strings: [value]), characterSet: .default)
    }

    static func entity(_ elements: [(Tag, VR, String)]) -> DataSet {
        DataSet(elements.map { DataElement(tag: $0.0, vr: $0.1, strings: [$0.2]) })
    }

    static func matches(_ tag: Tag, _ vr: VR, query: String, value: String, options: MatchOptions = MatchOptions()) throws -> Bool {
        try key(tag, vr, query).matches(entity([(tag, vr, value)]), options: options)
    }

    static let accession = Tag(0x0008, 0x0050)
    static let studyTime = Tag(0x0008, 0x0030)
    static let acquisitionDateTime = Tag(0x0008, 0x002A)
    static let modalitiesInStudy = Tag(0x0008, 0x0061)
    static let studyDescription = Tag(0x0008, 0x1030)

    @Test func keysAreReadByVR() throws {
        #expect(try Self.key(.patientName, .PN, "").matching == .universal)
        #expect(try Self.key(.patientName, .PN, "*").matching == .universal) // C.2.2.2.4: "*" is universal
        #expect(try Self.key(.patientName, .PN, "DOE*").matching == .wildcard("DOE*"))
        #expect(try Self.key(.patientName, .PN, "\"\"").matching == .emptyValue)
        #expect(try Self.key(.studyInstanceUID, .UI, "1.2.3\\1.2.4").matching == .uidList(["1.2.3", "1.2.4"]))
        #expect(try Self.key(.studyInstanceUID, .UI, "1.2.3").matching == .single("1.2.3"))
        #expect(try Self.key(.studyDate, .DA, "20060705-20060707").matching == .range(lower: "20060705", upper: "20060707"))
        #expect(try Self.key(.studyDate, .DA, "-20060707").matching == .range(lower: nil, upper: "20060707"))
        #expect(try Self.key(.studyDate, .DA, "20060705-").matching == .range(lower: "20060705", upper: nil))
        #expect(try Self.key(.studyDate, .DA, "20060705").matching == .single("20060705"))
        // Wild cards mean nothing in a UID or a date.
        #expect(try Self.key(.studyInstanceUID, .UI, "1.2.*").matching == .single("1.2.*"))
    }

    @Test func datetimeOffsetsAreNotRanges() throws {
        // A "-" in a UTC offset is not a range: the sides must read as datetimes in order.
        #expect(try Self.key(Self.acquisitionDateTime, .DT, "20200101120000-0500").matching == .single("20200101120000-0500"))
        #expect(try Self.key(Self.acquisitionDateTime, .DT, "2020-2021").matching == .range(lower: "2020", upper: "2021"))
        #expect(try Self.key(Self.acquisitionDateTime, .DT, "20200101-0500-20200102-0500").matching
                == .range(lower: "20200101-0500", upper: "20200102-0500"))
    }

    @Test func singleValueMatching() throws {
        #expect(try Self.matches(Self.accession, .SH, query: "A123", value: "A123"))
        #expect(try !Self.matches(Self.accession, .SH, query: "A123", value: "A1234"))
        // Case counts outside PN (C.2.2.2.1).
        #expect(try !Self.matches(Self.accession, .SH, query: "a123", value: "A123"))
        // Padding never counts.
        #expect(try Self.matches(Self.accession, .SH, query: "A123", value: "A123 "))
        #expect(try Self.matches(Tag(0x0020, 0x0011), .IS, query: "7", value: "07"))
    }

    @Test func personNames() throws {
        let sensitive = MatchOptions(caseInsensitivePersonNames: false)
        #expect(try Self.matches(.patientName, .PN, query: "DOE^JOHN", value: "Doe^John"))
        #expect(try !Self.matches(.patientName, .PN, query: "DOE^JOHN", value: "Doe^John", options: sensitive))
        #expect(try Self.matches(.patientName, .PN, query: "DOE^JOHN", value: "DOE^JOHN^^^"))
        #expect(try Self.matches(.patientName, .PN, query: "DOE^JOHN", value: "DOE^JOHN=ドウ^ジョン"))
        #expect(try Self.matches(.patientName, .PN, query: "doe*", value: "DOE^JOHN"))
        #expect(try !Self.matches(.patientName, .PN, query: "doe*", value: "DOE^JOHN", options: sensitive))
        #expect(try Self.matches(.patientName, .PN, query: "*JOHN*", value: "DOE^JOHN^A"))
        #expect(try !Self.matches(.patientName, .PN, query: "SMITH*", value: "DOE^JOHN"))
    }

    @Test func wildcardMatching() throws {
        #expect(try Self.matches(Self.studyDescription, .LO, query: "CT?HEAD", value: "CT HEAD"))
        #expect(try !Self.matches(Self.studyDescription, .LO, query: "CT?HEAD", value: "CT  HEAD"))
        #expect(try Self.matches(Self.studyDescription, .LO, query: "*HEAD", value: "CT HEAD"))
        #expect(try Self.matches(Self.studyDescription, .LO, query: "CT*", value: "CT"))  // "*" may be empty
        #expect(try Self.matches(Self.studyDescription, .LO, query: "C*T*D", value: "CT HEAD"))
        #expect(try !Self.matches(Self.studyDescription, .LO, query: "C*T*X", value: "CT HEAD"))
        #expect(try !Self.matches(Self.studyDescription, .LO, query: "ct*", value: "CT HEAD")) // case-sensitive
        #expect(Wildcard.matches("aaab", pattern: "*a*ab"))
        #expect(!Wildcard.matches("ab", pattern: "a?b"))
        #expect(Wildcard.matches("", pattern: "**"))
    }

    @Test func uidLists() throws {
        #expect(try Self.matches(.studyInstanceUID, .UI, query: "1.2.3\\1.2.4", value: "1.2.4"))
        #expect(try !Self.matches(.studyInstanceUID, .UI, query: "1.2.3\\1.2.4", value: "1.2.5"))
        #expect(try !Self.matches(.studyInstanceUID, .UI, query: "1.2.3", value: "1.2.30"))
    }

    /// C.2.2.2.8: several values of a code (Modalities in Study as OHIF asks, CT\\MR) match
    /// an entity holding any one of them; a description's backslash-free text stays one value.
    @Test func valueLists() throws {
        #expect(try Self.key(Self.modalitiesInStudy, .CS, "CT\\MR").matching == .valueList(["CT", "MR"]))
        let study = DataSet([DataElement(tag: Self.modalitiesInStudy, vr: .CS, strings: ["MR", "SR"])])
        #expect(try Self.key(Self.modalitiesInStudy, .CS, "CT\\MR").matches(study))
        #expect(try !Self.key(Self.modalitiesInStudy, .CS, "CT\\US").matches(study))
        #expect(try Self.matches(.modality, .CS, query: "CT\\MR", value: "CT"))
        #expect(try Self.key(Self.studyDescription, .LO, "CT, chest").matching == .single("CT, chest"))
    }

    @Test func dateRanges() throws {
        // C.2.2.2.5: "<date1> - <date2>" inclusive, "- <date1>" up to, "<date1> -" from.
        for (query, value, expected) in [("20060705-20060707", "20060705", true), ("20060705-20060707", "20060707", true),
                                         ("20060705-20060707", "20060708", false), ("20060705-20060707", "20060704", false),
                                         ("-20060707", "19990101", true), ("-20060707", "20060708", false),
                                         ("20060705-", "20991231", true), ("20060705-", "20060704", false),
                                         ("20060705", "20060705", true), ("20060705", "20060706", false)] {
            #expect(try Self.matches(.studyDate, .DA, query: query, value: value) == expected, "\(query) vs \(value)")
        }
        // An entity without a date does not match a range.
        #expect(try !Self.key(.studyDate, .DA, "20060705-").matches(DataSet()))
    }

    @Test func timeRangesIncludeTheirWholeBounds() throws {
        for (query, value, expected) in [("1000-1800", "100000", true), ("1000-1800", "180059.999", true),
                                         ("1000-1800", "180100", false), ("1000-1800", "095959", false),
                                         ("-10", "105959", true), ("-10", "110000", false), ("1230", "123015", true)] {
            #expect(try Self.matches(Self.studyTime, .TM, query: query, value: value) == expected, "\(query) vs \(value)")
        }
    }

    @Test func datetimeRangesHonourOffsets() throws {
        // 12:00 at UTC-05:00 is 17:00 UTC.
        #expect(try Self.matches(Self.acquisitionDateTime, .DT, query: "20200101170000-20200101170000", value: "20200101120000-0500"))
        #expect(try !Self.matches(Self.acquisitionDateTime, .DT, query: "20200101120000-20200101120000", value: "20200101120000-0500"))
        #expect(try Self.matches(Self.acquisitionDateTime, .DT, query: "2020-2021", value: "20211231235959"))
        #expect(try !Self.matches(Self.acquisitionDateTime, .DT, query: "2020-2021", value: "20220101000000"))
    }

    @Test func multiValuedAttributesMatchOnAnyValue() throws {
        let study = Self.entity([(Self.modalitiesInStudy, .CS, "CT\\SR")])
        #expect(try Self.key(Self.modalitiesInStudy, .CS, "SR").matches(study))
        #expect(try Self.key(Self.modalitiesInStudy, .CS, "CT").matches(study))
        #expect(try !Self.key(Self.modalitiesInStudy, .CS, "MR").matches(study))
    }

    @Test func emptyValueMatching() throws {
        let key = try Self.key(Self.accession, .SH, "\"\"")
        #expect(key.matches(DataSet()))
        #expect(key.matches(Self.entity([(Self.accession, .SH, "")])))
        #expect(!key.matches(Self.entity([(Self.accession, .SH, "A1")])))
        // Single value matching never matches an absent attribute.
        #expect(try !Self.key(Self.accession, .SH, "A1").matches(DataSet()))
    }

    @Test func binaryValuesMatchAsNumbers() throws {
        let rows = Tag(0x0028, 0x0010)
        let key = try MatchKey(DataElement(tag: rows, vr: .US, integers: [UInt16(512)]), characterSet: .default)
        #expect(key.matching == .single("512"))
        #expect(key.matches(DataSet([DataElement(tag: rows, vr: .US, integers: [UInt16(512)])])))
        #expect(!key.matches(DataSet([DataElement(tag: rows, vr: .US, integers: [UInt16(256)])])))
    }

    @Test func sequenceMatching() throws {
        // C.2.2.2.6: an entity matches when one of its items matches every key of the query's item.
        let procedure = Tag(0x0008, 0x1032)
        let codeValue = Tag(0x0008, 0x0100)
        let scheme = Tag(0x0008, 0x0102)
        func code(_ value: String, _ designator: String) -> Item {
            Item(dataSet: DataSet([DataElement(tag: codeValue, vr: .SH, strings: [value]), DataElement(tag: scheme, vr: .SH, strings: [designator])]))
        }
        let study = DataSet([DataElement(tag: procedure, items: [code("A1", "L"), code("B2", "L")])])
        func query(_ keys: [DataElement]) throws -> MatchKey {
            try MatchKey(DataElement(tag: procedure, items: keys.isEmpty ? [] : [Item(dataSet: DataSet(keys))]), characterSet: .default)
        }
        #expect(try query([DataElement(tag: codeValue, vr: .SH, strings: ["B2"])]).matches(study))
        #expect(try query([DataElement(tag: codeValue, vr: .SH, strings: ["B2"]), DataElement(tag: scheme, vr: .SH, strings: ["L"])]).matches(study))
        // Both keys must hold in the same item.
        #expect(try !query([DataElement(tag: codeValue, vr: .SH, strings: ["B2"]), DataElement(tag: scheme, vr: .SH, strings: ["X"])]).matches(study))
        #expect(try !query([DataElement(tag: codeValue, vr: .SH, strings: ["C3"])]).matches(study))
        // No item, or an item of return keys only: universal.
        #expect(try query([]).matching == .universal)
        #expect(try query([DataElement(tag: codeValue, vr: .SH, bytes: [])]).matching == .universal)
        #expect(try !query([DataElement(tag: codeValue, vr: .SH, strings: ["A1"])]).matches(DataSet()))
    }
}
