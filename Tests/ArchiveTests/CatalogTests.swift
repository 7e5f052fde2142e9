@testable import Archive
import DICOM
import Foundation
import GRDB
import TestSupport
import Testing

typealias Tag = DICOM.Tag

/// The catalog on a real SQLite file.
@Suite struct CatalogTests {
    static func withCatalog(_ body: (Catalog) async throws -> Void) async throws { try await CatalogFixture.withCatalog(body) }

    static func entry(instance: String, series: String = "1.2.3.2", study: String = "1.2.3.1", modality: String = "CT",
                      bytes: String = "a") -> CatalogEntry {
        CatalogFixture.entry(instance: instance, series: series, study: study, modality: modality, bytes: bytes)
    }

    @Test func theDatabaseIsDurable() async throws {
        try await Self.withCatalog { catalog in
            let (mode, synchronous) = try await catalog.pool.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(mode == "wal")
            #expect(synchronous == 2, "synchronous = FULL")
        }
    }

    @Test func newInstancesCountAtEveryLevel() async throws {
        try await Self.withCatalog { catalog in
            let outcomes = try await catalog.record([
                Self.entry(instance: "1.2.3.3.1", bytes: "a"),
                Self.entry(instance: "1.2.3.3.2", bytes: "b"),
                Self.entry(instance: "1.2.3.3.3", series: "1.2.3.9", modality: "SR", bytes: "c"),
                Self.entry(instance: "1.2.3.3.4", series: "1.2.3.8", modality: "CT", bytes: "d"),
            ])
            #expect(outcomes == [.stored, .stored, .stored, .stored])
            #expect(try await catalog.counts() == Catalog.Counts(patients: 1, studies: 1, series: 3, instances: 4, versions: 4))
            let study = try catalog.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM study")! }
            #expect(study["modalitiesInStudy"] as String == "CT\\SR")
            #expect(study["numberOfSeries"] as Int == 3)
            #expect(study["numberOfInstances"] as Int == 4)
            let perSeries = try await catalog.pool.read { db in
                try Int.fetchAll(db, sql: "SELECT numberOfInstances FROM series ORDER BY seriesInstanceUID")
            }
            #expect(perSeries == [2, 1, 1])
        }
    }

    /// A later instance's demographics win, but an empty one (type 2: unknown) does not erase
    /// what an earlier instance said — a report without a birth date keeps the banner's.
    @Test func anEmptyDemographicDoesNotEraseAKnownOne() async throws {
        try await Self.withCatalog { catalog in
            var image = Self.entry(instance: "1.2.3.3.1", bytes: "a")
            (image.attributes.patientBirthDate, image.attributes.patientSex) = ("19700101", "F")
            var report = Self.entry(instance: "1.2.3.3.2", series: "1.2.3.9", modality: "SR", bytes: "b")
            (report.attributes.patientBirthDate, report.attributes.patientSex, report.attributes.patientName) = ("", "", "Doe^Jane^Q")
            _ = try await catalog.record([image])
            _ = try await catalog.record([report])
            let patient = try await catalog.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM patient")! }
            #expect(patient["patientBirthDate"] as String == "19700101" && patient["patientSex"] as String == "F")
            #expect(patient["patientName"] as String == "Doe^Jane^Q", "a value given does replace the earlier one")
        }
    }

    @Test func theSameBytesAgainAreADuplicateAndOtherBytesANewVersion() async throws {
        try await Self.withCatalog { catalog in
            #expect(try await catalog.record([Self.entry(instance: "1.2.3.3.1", bytes: "first")]) == [.stored])
            #expect(try await catalog.record([Self.entry(instance: "1.2.3.3.1", bytes: "first")]) == [.duplicate(version: 1)])
            #expect(try await catalog.record([Self.entry(instance: "1.2.3.3.1", bytes: "second")]) == [.newVersion(2)])
            #expect(try await catalog.record([Self.entry(instance: "1.2.3.3.1", bytes: "first")]) == [.duplicate(version: 1)])
            let versions = try await catalog.versions(of: "1.2.3.3.1")
            #expect(versions.map(\.number) == [1, 2])
            #expect(versions.map(\.blob) == [BlobID(of: Array("first".utf8)), BlobID(of: Array("second".utf8))])
            #expect(versions.allSatisfy { $0.callingAETitle == "CT1" && $0.source == "dimse" })
            // Versions are not instances: the counts do not move.
            #expect(try await catalog.counts().instances == 1)
            #expect(try await catalog.counts().versions == 2)
            let current = try await catalog.pool.read { db in try Int.fetchOne(db, sql: "SELECT currentVersion FROM instance") }
            #expect(current == 2)
        }
    }

    @Test func aBatchWithTheSameInstanceTwiceRecordsItInOrder() async throws {
        try await Self.withCatalog { catalog in
            let outcomes = try await catalog.record([
                Self.entry(instance: "1.2.3.3.1", bytes: "x"), Self.entry(instance: "1.2.3.3.1", bytes: "x"),
                Self.entry(instance: "1.2.3.3.1", bytes: "y"),
            ])
            #expect(outcomes == [.stored, .duplicate(version: 1), .newVersion(2)])
        }
    }

    @Test func blobsAreListedByPrefix() async throws {
        try await Self.withCatalog { catalog in
            let entries = (0..<50).map { Self.entry(instance: "1.2.3.3.\($0)", bytes: "\($0)") }
            _ = try await catalog.record(entries)
            let all = Set(entries.map(\.blob))
            var found = Set<BlobID>()
            for first in "0123456789abcdef" {
                for second in "0123456789abcdef" { found.formUnion(try await catalog.blobs(withPrefix: "\(first)\(second)")) }
            }
            #expect(found == all)
            #expect(try await catalog.referenced(among: [entries[0].blob, BlobID(of: [1, 2, 3])]) == [entries[0].blob])
        }
    }

    @Test func aReopenedCatalogHasEverything() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await Catalog(path: directory + "/catalog.sqlite").record([Self.entry(instance: "1.2.3.3.1")])
        #expect(try await Catalog(path: directory + "/catalog.sqlite").counts().instances == 1)
    }

    @Test func uidsAreCheckedAsPS3_5Says() {
        #expect(UID.isWellFormed("1.2.840.10008.1.2"))
        #expect(UID.isWellFormed("0.0"))
        #expect(!UID.isWellFormed(""))
        #expect(!UID.isWellFormed("1.02.3"), "a leading zero")
        #expect(!UID.isWellFormed("1..2"))
        #expect(!UID.isWellFormed("1.2."))
        #expect(!UID.isWellFormed("1.2.a"))
        #expect(!UID.isWellFormed(String(repeating: "1", count: 65)))
    }

    @Test func attributesComeFromTheHeaderAndUIDsAreRequired() throws {
        var dataSet = DataSet()
        dataSet[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: ["Doe^John"])
        dataSet[.modality] = DataElement(tag: .modality, vr: .CS, strings: ["MR"])
        dataSet[Tag(0x0020, 0x0013)] = DataElement(tag: Tag(0x0020, 0x0013), vr: .IS, strings: ["7"])
        #expect(throws: InvalidInstanceError("Study Instance UID (0020,000D) is missing")) { try InstanceAttributes(dataSet) }
        dataSet[.studyInstanceUID] = DataElement(tag: .studyInstanceUID, vr: .UI, strings: ["1.2.3"])
        dataSet[.seriesInstanceUID] = DataElement(tag: .seriesInstanceUID, vr: .UI, strings: ["1.2.3.4"])
        dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: ["1.2.3.4.05"])
        dataSet[.sopClassUID] = DataElement(tag: .sopClassUID, vr: .UI, strings: ["1.2.840.10008.5.1.4.1.1.4"])
        #expect(throws: InvalidInstanceError("SOP Instance UID (0008,0018) \"1.2.3.4.05\" is not a valid UID")) { try InstanceAttributes(dataSet) }
        dataSet[.sopInstanceUID] = DataElement(tag: .sopInstanceUID, vr: .UI, strings: ["1.2.3.4.5"])
        let attributes = try InstanceAttributes(dataSet)
        #expect(attributes.patientName == "Doe^John")
        #expect(attributes.modality == "MR")
        #expect(attributes.instanceNumber == 7)
        #expect(attributes.sopInstanceUID == "1.2.3.4.5")
    }
}
