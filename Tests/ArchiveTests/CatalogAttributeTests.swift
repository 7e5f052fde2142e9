@testable import Archive
import DICOM
import Testing

/// The one table of catalog attributes (`CatalogAttribute.all`) is what the header is read
/// by, what the INSERTs write and what queries match: each attribute, given a value of its
/// own in one of two instances, finds that instance alone at its level and comes back as sent.
@Suite struct CatalogAttributeTests {
    /// A value of `attribute`'s VR that no other attribute of either instance has.
    static func value(_ attribute: CatalogAttribute, _ variant: Int) -> String {
        let element = Int(attribute.tag.element)
        return switch attribute.vr {
        case .UI where attribute.tag == .sopClassUID: variant == 1 ? IngestTests.ctImage : "1.2.840.10008.5.1.4.1.1.4"
        case .UI: "1.2.\(variant).\(element)"
        case .PN: "Name\(variant)x\(element)^Given"
        case .DA: "2026010\(variant)"
        case .TM: "10101\(variant)"
        case .IS: "\(variant * 100 + element % 97)"
        default: "V\(variant)T\(element)"
        }
    }

    static func dataSet(_ variant: Int) -> DataSet {
        var set = IngestTests.dataSet(instance: value(CatalogAttribute.all.first { $0.tag == .sopInstanceUID }!, variant))
        for attribute in CatalogAttribute.all {
            set[attribute.tag] = DataElement(tag: attribute.tag, vr: attribute.vr, strings: [value(attribute, variant)])
        }
        return set
    }

    @Test func everyKeptAttributeIsReadStoredAndMatchedAtItsLevel() async throws {
        try await IngestTests.withArchive { archive async throws in
            for variant in [1, 2] {
                let set = Self.dataSet(variant)
                let outcome = try await IngestTests.store(set, to: archive.ingestor, instance: set.uid(.sopInstanceUID)!,
                                                          sopClass: set.uid(.sopClassUID)!)
                #expect(outcome == nil)
            }
            let engine = QueryEngine(catalog: archive.ingestor.catalog, blobs: archive.ingestor.blobs, retrieveAETitle: "LIFEBOAT")
            for attribute in CatalogAttribute.all {
                let wanted = Self.value(attribute, 2)
                let found = try await QueryEngineTests.run(engine, attribute.level.rawValue, [(attribute.tag, attribute.vr, wanted)],
                                                           model: attribute.level == .patient ? .patientRoot : .studyRoot)
                #expect(found.count == 1, "\(attribute.column) = \(wanted) finds the second instance's \(attribute.level) alone")
                let returned = try found.first.map { try $0.string(attribute.tag) } ?? nil
                #expect(returned == wanted, "\(attribute.column) comes back as sent")
            }
        }
    }

    @Test func theTableNamesEachTagAndColumnOnceWithItsLevelsUniqueKeyFirst() {
        #expect(Set(CatalogAttribute.all.map(\.tag)).count == CatalogAttribute.all.count)
        #expect(Set(CatalogAttribute.all.map(\.column)).count == CatalogAttribute.all.count)
        for level in QueryLevel.allCases where level != .patient {
            #expect(CatalogAttribute.at(level).first?.tag == level.uniqueKey)
        }
    }
}
