@testable import Archive
import DICOM
import Foundation
import GRDB
import Testing

/// A missing Patient ID never joins two people (`PatientKey`): without one, patients are told
/// apart by name and birth date, and with neither each study stands alone — in a new
/// catalog, and in one a release before this made, where such studies had been merged.
@Suite struct PatientKeyTests {
    static func entry(study: String, patientID: String, name: String, birthDate: String) -> CatalogEntry {
        var entry = CatalogTests.entry(instance: study + ".9.1", series: study + ".1", study: study, bytes: study)
        entry.attributes.patientID = patientID
        entry.attributes.patientName = name
        entry.attributes.patientBirthDate = birthDate
        return entry
    }

    /// Each study's patient, as the catalog joins them: (study, patient row, name).
    static func patients(_ catalog: Catalog) async throws -> [String: (Int64, String)] {
        try await catalog.pool.read { db in
            var result: [String: (Int64, String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT s.studyInstanceUID AS uid, p.id AS id, p.patientName AS name FROM study s JOIN patient p ON s.patientRef = p.id") {
                result[row["uid"]] = (row["id"], row["name"])
            }
            return result
        }
    }

    @Test func withoutAPatientIDNameAndBirthDateTellPatientsApart() async throws {
        try await CatalogTests.withCatalog { catalog in
            _ = try await catalog.record([
                Self.entry(study: "1.2.9.1", patientID: "", name: "Doe^Jane", birthDate: "19700101"),
                Self.entry(study: "1.2.9.2", patientID: "", name: "Roe^Rick", birthDate: "19700101"),
                Self.entry(study: "1.2.9.3", patientID: "", name: "Doe^Jane", birthDate: "19700101"),
                Self.entry(study: "1.2.9.4", patientID: "", name: "Doe^Jane", birthDate: "19810202"),
                Self.entry(study: "1.2.9.5", patientID: "", name: "", birthDate: ""),
                Self.entry(study: "1.2.9.6", patientID: "", name: "", birthDate: ""),
                Self.entry(study: "1.2.9.7", patientID: "P1", name: "Doe^Jane", birthDate: "19700101"),
            ])
            let patients = try await Self.patients(catalog)
            #expect(patients["1.2.9.1"]?.0 == patients["1.2.9.3"]?.0, "the same name and birth date: one patient")
            #expect(Set(["1.2.9.1", "1.2.9.2", "1.2.9.4", "1.2.9.5", "1.2.9.6", "1.2.9.7"].compactMap { patients[$0]?.0 }).count == 6)
            #expect(patients["1.2.9.1"]?.1 == "Doe^Jane" && patients["1.2.9.2"]?.1 == "Roe^Rick", "no one is renamed by another's arrival")
            #expect(try await catalog.counts().patients == 6)
            // As a patient-level query shows them: a row each.
            let engine = QueryEngine(catalog: catalog, blobs: MemoryBlobStore(), retrieveAETitle: "LIFEBOAT")
            let rows = try await engine.matches(CatalogQuery(level: .patient, keys: [MatchKey(tag: .patientName, vr: .PN, matching: .universal)]))
            #expect(rows.count == 6)
        }
    }

    /// A catalog made before this rule (migration 11) with two people merged under an empty
    /// Patient ID is parted when it is opened, each study by its own header.
    @Test func mergedPatientsOfAnEarlierCatalogArePartedWhenItOpens() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("patients-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/catalog.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try CatalogSchema.migrator.migrate(queue, upTo: "11: damaged versions")
            try await queue.write { db in
                // The last arrival's name on the one merged record, as the earlier release left it.
                try db.execute(sql: "INSERT INTO patient (id, patientID, issuerOfPatientID, patientName, patientBirthDate, patientSex) VALUES (1, '', '', 'Roe^Rick', '19600101', 'M')")
                for (number, name, birthDate) in [(1, "Doe^Jane", "19700101"), (2, "Roe^Rick", "19600101")] {
                    var header = DataSet()
                    header[.patientName] = DataElement(tag: .patientName, vr: .PN, strings: [name])
                    header[Tag(0x0010, 0x0030)] = DataElement(tag: Tag(0x0010, 0x0030), vr: .DA, strings: [birthDate])
                    try db.execute(sql: """
                        INSERT INTO study (id, studyInstanceUID, patientRef, studyDate, studyTime, accessionNumber, studyID, studyDescription,
                                           referringPhysicianName, lastReceivedAt) VALUES (?, ?, 1, '', '', '', '', '', '', '2026-01-01T00:00:00.000Z')
                        """, arguments: [number, "1.2.8.\(number)"])
                    try db.execute(sql: """
                        INSERT INTO series (seriesInstanceUID, studyRef, modality, seriesDescription, bodyPartExamined, seriesDate, seriesTime, attributes)
                        VALUES (?, ?, 'CT', '', '', '', '', ?)
                        """, arguments: ["1.2.8.\(number).1", number, Data(QueryHeader.encode(header))])
                }
            }
        }
        let catalog = try Catalog(path: path)
        let patients = try await Self.patients(catalog)
        #expect(patients["1.2.8.1"]?.1 == "Doe^Jane" && patients["1.2.8.2"]?.1 == "Roe^Rick")
        #expect(patients["1.2.8.1"]?.0 != patients["1.2.8.2"]?.0)
        #expect(try await catalog.counts().patients == 2, "the merged record, now without studies, is gone")
    }
}
