@testable import Archive
import DICOM
import Foundation
import Testing

/// Queries over a real catalog filled through the real ingest pipeline: SQL narrowing,
/// matching, return keys, levels, paging.
@Suite struct QueryEngineTests {
    struct Spec {
        var patientID = "P1"
        var name = "Doe^Jane"
        var study = "1.2.3.1"
        var date = "20261122"
        var series = "1.2.3.1.1"
        var modality = "CT"
        var instance = "1.2.3.1.1.1"
        var rows: UInt16 = 64
        var characterSet: String?
        var procedureCodes: [String] = []
    }

    static func dataSet(_ spec: Spec) -> DataSet {
        var set = IngestTests.dataSet(instance: spec.instance, study: spec.study)
        func put(_ tag: Tag, _ vr: VR, _ value: String) { set[tag] = DataElement(tag: tag, vr: vr, strings: [value]) }
        put(.patientID, .LO, spec.patientID)
        put(.studyDate, .DA, spec.date)
        put(.seriesInstanceUID, .UI, spec.series)
        put(.modality, .CS, spec.modality)
        if let characterSet = spec.characterSet {
            put(.specificCharacterSet, .CS, characterSet)
            // ISO_IR 100 is Latin-1: written here byte by byte.
            set[.patientName] = DataElement(tag: .patientName, vr: .PN, bytes: Array(spec.name.unicodeScalars.map { UInt8($0.value) }) + [0x20])
        } else {
            put(.patientName, .PN, spec.name)
        }
        set[Tag(0x0028, 0x0010)] = DataElement(tag: Tag(0x0028, 0x0010), vr: .US, integers: [spec.rows])
        if !spec.procedureCodes.isEmpty {
            set[Tag(0x0008, 0x1032)] = DataElement(tag: Tag(0x0008, 0x1032), items: spec.procedureCodes.map { code in
                Item(dataSet: DataSet([DataElement(tag: Tag(0x0008, 0x0100), vr: .SH, strings: [code])]))
            })
        }
        return set
    }

    /// Three patients, four studies, five series, seven instances.
    static let specs: [Spec] = [
        Spec(),
        Spec(instance: "1.2.3.1.1.2", rows: 128),
        Spec(series: "1.2.3.1.2", modality: "SR", instance: "1.2.3.1.2.1"),
        Spec(study: "1.2.3.2", date: "20250101", series: "1.2.3.2.1", modality: "MR", instance: "1.2.3.2.1.1", procedureCodes: ["MRHEAD", "MRNECK"]),
        Spec(patientID: "P2", name: "Smith^John", study: "1.2.3.3", date: "20240615", series: "1.2.3.3.1", modality: "CR", instance: "1.2.3.3.1.1"),
        Spec(patientID: "P3", name: "Müller^Jürgen", study: "1.2.3.4", date: "20240616", series: "1.2.3.4.1", modality: "CT",
             instance: "1.2.3.4.1.1", characterSet: "ISO_IR 100"),
        Spec(patientID: "P3", name: "Müller^Jürgen", study: "1.2.3.4", date: "20240616", series: "1.2.3.4.1", modality: "CT",
             instance: "1.2.3.4.1.2", characterSet: "ISO_IR 100"),
    ]

    static func withEngine(_ body: (QueryEngine) async throws -> Void) async throws {
        try await IngestTests.withArchive { archive async throws in
            for spec in specs {
                let outcome = try await IngestTests.store(dataSet(spec), to: archive.ingestor, instance: spec.instance)
                #expect(outcome == nil)
            }
            try await body(QueryEngine(catalog: archive.ingestor.catalog, blobs: archive.ingestor.blobs, retrieveAETitle: "LIFEBOAT"))
        }
    }

    static func identifier(_ level: String, _ keys: [(Tag, VR, String)]) -> DataSet {
        var set = DataSet([DataElement(tag: Tag(0x0008, 0x0052), vr: .CS, strings: [level])])
        for (tag, vr, value) in keys { set[tag] = DataElement(tag: tag, vr: vr, bytes: value.isEmpty ? [] : DataElement(tag: tag, vr: vr, strings: [value]).bytes!) }
        return set
    }

    static func run(_ engine: QueryEngine, _ level: String, _ keys: [(Tag, VR, String)], model: InformationModel = .studyRoot,
                    options: MatchOptions = MatchOptions()) async throws -> [DataSet] {
        try await engine.matches(CatalogQuery(identifier: identifier(level, keys), model: model, options: options))
    }

    static func values(_ results: [DataSet], _ tag: Tag) -> [String] {
        results.map { (try? $0.strings(tag).joined(separator: "\\")) ?? "?" }.sorted()
    }

    @Test func studiesByNameWithReturnKeys() async throws {
        try await Self.withEngine { engine async throws in
            let studies = try await Self.run(engine, "STUDY", [(.patientName, .PN, "doe*"), (.studyInstanceUID, .UI, ""),
                                                               (Tag(0x0008, 0x0061), .CS, ""), (Tag(0x0020, 0x1208), .IS, ""),
                                                               (Tag(0x0008, 0x0054), .AE, ""), (Tag(0x0008, 0x0050), .SH, "")])
            #expect(Self.values(studies, .studyInstanceUID) == ["1.2.3.1", "1.2.3.2"])
            let first = try #require(studies.first { $0.uid(.studyInstanceUID) == "1.2.3.1" })
            #expect(try first.strings(Tag(0x0008, 0x0061)) == ["CT", "SR"])
            #expect(try first.int(Tag(0x0020, 0x1208)) == 3)
            #expect(try first.string(Tag(0x0008, 0x0054)) == "LIFEBOAT")
            #expect(try first.string(Tag(0x0008, 0x0052)) == "STUDY")
            // Asked for and empty in the entity: returned with no value.
            #expect(first[Tag(0x0008, 0x0050)]?.bytes == [])
            // Case counts when the option is off.
            let sensitive = try await Self.run(engine, "STUDY", [(.patientName, .PN, "doe*")], options: MatchOptions(caseInsensitivePersonNames: false))
            #expect(sensitive.isEmpty)
        }
    }

    @Test func studiesByDateRangeAndModality() async throws {
        try await Self.withEngine { engine async throws in
            let june = try await Self.run(engine, "STUDY", [(.studyDate, .DA, "20240601-20240630"), (.studyInstanceUID, .UI, "")])
            #expect(Self.values(june, .studyInstanceUID) == ["1.2.3.3", "1.2.3.4"])
            let since = try await Self.run(engine, "STUDY", [(.studyDate, .DA, "20250101-")])
            #expect(Self.values(since, .studyInstanceUID) == ["1.2.3.1", "1.2.3.2"])
            let withSR = try await Self.run(engine, "STUDY", [(Tag(0x0008, 0x0061), .CS, "SR")])
            #expect(Self.values(withSR, .studyInstanceUID) == ["1.2.3.1"])
        }
    }

    @Test func seriesAndImagesOfAStudy() async throws {
        try await Self.withEngine { engine async throws in
            let series = try await Self.run(engine, "SERIES", [(.studyInstanceUID, .UI, "1.2.3.1"), (.seriesInstanceUID, .UI, ""),
                                                               (.modality, .CS, ""), (Tag(0x0020, 0x1209), .IS, "")])
            #expect(Self.values(series, .modality) == ["CT", "SR"])
            #expect(try series.first { $0.uid(.seriesInstanceUID) == "1.2.3.1.1" }?.int(Tag(0x0020, 0x1209)) == 2)
            // Rows is no catalog column: each instance's own header answers it.
            let rows = Tag(0x0028, 0x0010)
            let images = try await Self.run(engine, "IMAGE", [(.studyInstanceUID, .UI, "1.2.3.1"), (.seriesInstanceUID, .UI, "1.2.3.1.1"),
                                                              (.sopInstanceUID, .UI, ""), (rows, .US, "")])
            #expect(Self.values(images, .sopInstanceUID) == ["1.2.3.1.1.1", "1.2.3.1.1.2"])
            #expect(try images.first { $0.uid(.sopInstanceUID) == "1.2.3.1.1.2" }?[rows]?.integers() == [128])
            var wanted = Self.identifier("IMAGE", [(.seriesInstanceUID, .UI, "1.2.3.1.1")])
            wanted[rows] = DataElement(tag: rows, vr: .US, integers: [UInt16(128)])
            let big = try await engine.matches(CatalogQuery(identifier: wanted, model: .studyRoot))
            #expect(big.map { $0.uid(.sopInstanceUID) } == ["1.2.3.1.1.2"])
            let listed = try await Self.run(engine, "IMAGE", [(.sopInstanceUID, .UI, "1.2.3.1.1.1\\1.2.3.3.1.1\\9.9")])
            #expect(Self.values(listed, .sopInstanceUID) == ["1.2.3.1.1.1", "1.2.3.3.1.1"])
        }
    }

    @Test func sequenceKeysMatchTheKeptHeader() async throws {
        try await Self.withEngine { engine async throws in
            var query = Self.identifier("STUDY", [(.studyInstanceUID, .UI, "")])
            let procedure = Tag(0x0008, 0x1032)
            query[procedure] = DataElement(tag: procedure, items: [Item(dataSet: DataSet([DataElement(tag: Tag(0x0008, 0x0100), vr: .SH, strings: ["MRNECK"])]))])
            let found = try await engine.matches(CatalogQuery(identifier: query, model: .studyRoot))
            #expect(found.map { $0.uid(.studyInstanceUID) } == ["1.2.3.2"])
            #expect(found.first?[procedure]?.sequenceItems?.count == 2)
        }
    }

    @Test func patientLevelCountsInPatientRoot() async throws {
        try await Self.withEngine { engine async throws in
            let patients = try await Self.run(engine, "PATIENT", [(.patientID, .LO, ""), (Tag(0x0020, 0x1200), .IS, ""), (Tag(0x0020, 0x1204), .IS, "")],
                                              model: .patientRoot)
            #expect(Self.values(patients, .patientID) == ["P1", "P2", "P3"])
            let p1 = try #require(patients.first { (try? $0.string(.patientID)) == "P1" })
            #expect(try p1.int(Tag(0x0020, 0x1200)) == 2)
            #expect(try p1.int(Tag(0x0020, 0x1204)) == 4)
        }
    }

    @Test func namesInOtherCharacterSetsMatchAndComeBackInUTF8() async throws {
        try await Self.withEngine { engine async throws in
            var query = Self.identifier("STUDY", [(.studyInstanceUID, .UI, "")])
            query[.specificCharacterSet] = DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["ISO_IR 192"])
            query[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: ["müller*"])
            let found = try await engine.matches(CatalogQuery(identifier: query, model: .studyRoot))
            #expect(found.map { $0.uid(.studyInstanceUID) } == ["1.2.3.4"])
            #expect(try found.first?.string(.specificCharacterSet) == "ISO_IR 192")
            #expect(try found.first?.string(.patientName) == "Müller^Jürgen")
        }
    }

    @Test func pagesAreNewestFirstWithOffsetAndLimit() async throws {
        try await CatalogTests.withCatalog { catalog async throws in
            // More studies than one page of the engine.
            let entries = (1...600).map { CatalogTests.entry(instance: "1.9.\($0).1.1", series: "1.9.\($0).1", study: "1.9.\($0)", bytes: "\($0)") }
            _ = try await catalog.record(entries)
            let engine = QueryEngine(catalog: catalog, blobs: MemoryBlobStore())
            let all = try await engine.matches(CatalogQuery(identifier: Self.identifier("STUDY", [(.studyInstanceUID, .UI, "")]), model: .studyRoot))
            #expect(all.count == 600)
            #expect(all.first?.uid(.studyInstanceUID) == "1.9.600")
            var page = try CatalogQuery(identifier: Self.identifier("STUDY", [(.patientName, .PN, "DOE^JANE")]), model: .studyRoot)
            page.offset = 250
            page.limit = 20
            let slice = try await engine.matches(page)
            #expect(slice.map { $0.uid(.studyInstanceUID) } == (331...350).reversed().map { "1.9.\($0)" })
        }
    }

    @Test func identifiersThatCannotBeAnswered() throws {
        #expect(throws: QueryError.self) { try CatalogQuery(identifier: DataSet(), model: .studyRoot) }
        #expect(throws: QueryError.self) { try CatalogQuery(identifier: Self.identifier("PATIENT", []), model: .studyRoot) }
        #expect(throws: QueryError.self) { try CatalogQuery(identifier: Self.identifier("FRAME", []), model: .patientRoot) }
        let twoItems = DataElement(tag: Tag(0x0008, 0x1032), items: [Item(dataSet: DataSet()), Item(dataSet: DataSet())])
        var query = Self.identifier("STUDY", [])
        query[twoItems.tag] = twoItems
        #expect(throws: QueryError.self) { try CatalogQuery(identifier: query, model: .studyRoot) }
    }
}
