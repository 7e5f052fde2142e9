import Archive
import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// C-FIND against Lifeboat from dcmtk's findscu and pynetdicom, on an archive holding
/// pydicom's corpus; what should match is worked out from the files themselves.
@Suite(.serialized) struct QueryTests {
    /// A corpus file that was stored, and its header.
    struct Imported {
        let path: String
        let header: DICOMFile
        var dataSet: DataSet { header.dataSet }
    }

    /// The corpus imported through the real pipeline; the files that were stored.
    static func importCorpus(into archive: LocalArchive) async throws -> [Imported] {
        var stored: [Imported] = []
        for file in try Interop.corpus() {
            if case .imported = await Importer(ingestor: archive.ingestor).importFile(at: file.path) {
                stored.append(Imported(path: file.path, header: try DICOMFile(path: file.path, options: .headerOnly)))
            }
        }
        return stored
    }

    static func text(_ file: Imported, _ tag: Tag) -> String { ((try? file.dataSet.string(tag)) ?? nil) ?? "" }

    /// The response identifiers findscu wrote (-X) into `directory`.
    static func responses(in directory: String) throws -> [DataSet] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("rsp") }.sorted().map {
            try DICOMFile(path: "\(directory)/\($0)").dataSet
        }
    }

    @Test func findscuStudyRootFindsStudiesByName() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("findscu-\(UUID())").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: output) }
        try await Interop.withLifeboat { port, archive in
            let files = try await Self.importCorpus(into: archive)
            let wanted = files.filter { Self.text($0, .patientName).lowercased().hasPrefix("compressedsamples") }
            let studies = Dictionary(grouping: wanted) { $0.dataSet.uid(.studyInstanceUID) ?? "" }
            #expect(studies.count >= 2, "the corpus has samples to find")
            // Lower case on purpose: names match regardless of case by default.
            let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/findscu", "-S", "-aec", "LIFEBOAT", "-X", "-od", output,
                                                                "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName=compressedsamples*",
                                                                "-k", "StudyInstanceUID", "-k", "ModalitiesInStudy", "-k", "NumberOfStudyRelatedInstances",
                                                                "-k", "RetrieveAETitle", "127.0.0.1", "\(port)"])
            #expect(run.status == 0, "\(run.failures)")
            let responses = try Self.responses(in: output)
            #expect(Set(responses.compactMap { $0.uid(.studyInstanceUID) }) == Set(studies.keys))
            #expect(responses.count == studies.count)
            for response in responses {
                let study = try #require(studies[response.uid(.studyInstanceUID) ?? ""])
                let modalities = Set(study.map { Self.text($0, .modality) }.filter { !$0.isEmpty })
                #expect(Set(try response.strings(Tag(0x0008, 0x0061))) == modalities)
                #expect(try response.int(Tag(0x0020, 0x1208)) == study.count)
                #expect(try response.string(Tag(0x0008, 0x0054)) == "LIFEBOAT")
            }
        }
    }

    @Test func findscuPatientRootAndImageLevel() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("findscu-\(UUID())").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: output) }
        try await Interop.withLifeboat { port, archive in
            let files = try await Self.importCorpus(into: archive)
            let sample = try #require(files.first { Self.text($0, .patientName) == "CompressedSamples^CT1" })
            let series = try #require(sample.dataSet.uid(.seriesInstanceUID))
            let inSeries = files.filter { $0.dataSet.uid(.seriesInstanceUID) == series }
            // Rows is no catalog column: the answer comes from each instance's own header.
            let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/findscu", "-P", "-aec", "LIFEBOAT", "-X", "-od", output,
                                                                "-k", "QueryRetrieveLevel=IMAGE", "-k", "PatientID=\(Self.text(sample, .patientID))",
                                                                "-k", "StudyInstanceUID=\(sample.dataSet.uid(.studyInstanceUID) ?? "")",
                                                                "-k", "SeriesInstanceUID=\(series)", "-k", "SOPInstanceUID", "-k", "Rows",
                                                                "127.0.0.1", "\(port)"])
            #expect(run.status == 0, "\(run.failures)")
            let responses = try Self.responses(in: output)
            #expect(Set(responses.compactMap { $0.uid(.sopInstanceUID) }) == Set(inSeries.compactMap { $0.dataSet.uid(.sopInstanceUID) }))
            for response in responses {
                let file = try #require(inSeries.first { $0.dataSet.uid(.sopInstanceUID) == response.uid(.sopInstanceUID) })
                #expect(try response.int(Tag(0x0028, 0x0010)) == file.dataSet.int(Tag(0x0028, 0x0010)))
            }
        }
    }

    @Test func findscuGetsAReasonForAnIdentifierWithoutLevel() async throws {
        try await Interop.withLifeboat { port, _ in
            let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/findscu", "-d", "-S", "-aec", "LIFEBOAT",
                                                                "-k", "PatientName=X*", "127.0.0.1", "\(port)"])
            // findscu exits 0 whatever the status; with -d it prints the response, error comment included.
            let said = run.text + run.errors
            #expect(said.contains("0xa900: Error: Data Set does not match SOP Class"), "\(said)")
            #expect(said.contains("Query/Retrieve Level"), "\(said)")
        }
    }

    static func pynetdicomFind(port: Int, model: String, keys: [String: String], cancelAfter: Int? = nil) async throws -> (statuses: [Int], matches: [[String: Any]]) {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: keys), as: UTF8.self)
        let run = try await Subprocess.run("python3", [Interop.helper, "find", "127.0.0.1", "\(port)", "LIFEBOAT", model, json]
                                                      + (cancelAfter.map { ["\($0)"] } ?? []))
        let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
        return (result["statuses"] as? [Int] ?? [], result["matches"] as? [[String: Any]] ?? [])
    }

    @Test func pynetdicomSeriesLevelWithWildcards() async throws {
        try await Interop.withLifeboat { port, archive in
            let files = try await Self.importCorpus(into: archive)
            let mr = files.filter { Self.text($0, .modality) == "MR" }
            let expected = Set(mr.compactMap { $0.dataSet.uid(.seriesInstanceUID) })
            let (statuses, matches) = try await Self.pynetdicomFind(port: port, model: "study",
                                                                    keys: ["QueryRetrieveLevel": "SERIES", "Modality": "M?", "SeriesInstanceUID": ""])
            #expect(statuses.last == 0)
            #expect(statuses.dropLast().allSatisfy { $0 == 0xFF00 })
            let found = Set(matches.compactMap { (($0["0020000E"] as? [String: Any])?["Value"] as? [String])?.first })
            #expect(found == expected)
        }
    }

    @Test func pynetdicomCancelStopsAFind() async throws {
        try await Interop.withLifeboat { port, archive in
            // Many studies, so that the find is still sending when the C-CANCEL arrives.
            let entries = (1...3000).map { n in
                var attributes = InstanceAttributes()
                attributes.patientID = "P\(n % 50)"
                attributes.patientName = "Many^Studies"
                attributes.studyInstanceUID = "1.2.826.0.1.\(n)"
                attributes.seriesInstanceUID = "1.2.826.0.1.\(n).1"
                attributes.sopInstanceUID = "1.2.826.0.1.\(n).1.1"
                attributes.sopClassUID = "1.2.840.10008.5.1.4.1.1.2"
                return CatalogEntry(attributes: attributes, blob: BlobID(of: Array("\(n)".utf8)), size: 1, transferSyntaxUID: "1.2.840.10008.1.2.1",
                                    provenance: Provenance(source: .import))
            }
            _ = try await archive.catalog.record(entries)
            let all = try await Self.pynetdicomFind(port: port, model: "study", keys: ["QueryRetrieveLevel": "STUDY", "StudyInstanceUID": ""])
            #expect(all.matches.count == 3000)
            #expect(all.statuses.last == 0)
            let cancelled = try await Self.pynetdicomFind(port: port, model: "study", keys: ["QueryRetrieveLevel": "STUDY", "StudyInstanceUID": ""],
                                                          cancelAfter: 5)
            // PS3.4 C.4.1.2.3: the last response says Cancel; fewer than all were sent.
            #expect(cancelled.statuses.last == 0xFE00, "\(cancelled.statuses.suffix(3))")
            #expect(cancelled.matches.count < 3000)
            #expect(cancelled.matches.count >= 5)
            // The server answers the next query as usual.
            let again = try await Self.pynetdicomFind(port: port, model: "patient", keys: ["QueryRetrieveLevel": "PATIENT", "PatientID": "P7"])
            #expect(again.matches.count == 1)
        }
    }
}
