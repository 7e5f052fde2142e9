import Archive
import DICOM
import Foundation
import Security
import TestSupport
import Testing

/// The whole outage with real processes: a PACS stand-in (pynetdicom) goes down; modalities
/// (dcmtk storescu) keep sending to `lifeboat serve`; a reader retrieves through Lifeboat
/// (getscu); the PACS comes back without the downtime studies; `lifeboat failback` gives them
/// back newest first, each committed, and the PACS then holds every instance byte for byte.
@Suite struct DowntimeScenarioTests {
    @Test func thePACSGetsBackWhatItMissedNewestFirstAndCommitted() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("downtime-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work + "/got", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The modalities' images: two studies before the outage, three during it, three instances each.
        let modality = try TestArchive()
        var files: [String: [String]] = [:]
        let studies = (1...5).map { "1.2.826.0.1.3680043.10.60.\($0)" }
        for study in studies {
            try await modality.store(3, study: study, pixels: 32 << 10)
            files[study] = try await modality.archive.catalog.failbackInstances(study: study).map { try #require(modality.archive.blobs.localPath(of: $0.blob)) }
        }
        let (before, during) = (Array(studies.prefix(2)), Array(studies.suffix(3)))

        var pacs = try await PACSStandIn(directory: work + "/pacs")
        let dicomPort = LoopbackPort.free()
        try """
            data: \(work)/data
            http-port: 0
            dicom-nodes: [PACS@127.0.0.1:\(pacs.port)]
            dicom-peers: [{ae: READER, address: 127.0.0.1, rights: [query, retrieve]}]
            """.write(toFile: work + "/lifeboat.yaml", atomically: true, encoding: .utf8)
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--config", work + "/lifeboat.yaml", "--dicom-port", "\(dicomPort)"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(dicomPort)
        func store(_ study: String, to port: Int, as called: String) async throws {
            let run = try await SecurityServeTests.dcmtk("storescu", ["-aet", "MODALITY", "-aec", called, "127.0.0.1", "\(port)"] + files[study]!)
            #expect(run.status == 0, "\(run.text) \(run.errors)")
        }

        // Before the outage each study goes to the PACS and to Lifeboat.
        for study in before {
            try await store(study, to: pacs.port, as: "PACS")
            try await store(study, to: dicomPort, as: "LIFEBOAT")
        }
        // The PACS goes down; the modalities keep sending to Lifeboat.
        pacs.stop()
        let outage = Date()
        for study in during { try await store(study, to: dicomPort, as: "LIFEBOAT") }

        // A reader retrieves a downtime study through Lifeboat.
        let get = try await SecurityServeTests.dcmtk("getscu", ["-S", "-aet", "READER", "-aec", "LIFEBOAT", "-od", work + "/got",
                                                                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(during[1])", "127.0.0.1", "\(dicomPort)"])
        #expect(get.status == 0, "\(get.text) \(get.errors)")
        let got = try FileManager.default.contentsOfDirectory(atPath: work + "/got").map { try DICOMFile(path: "\(work)/got/\($0)").dataSet }
        let sent = try files[during[1]]!.map { try DICOMFile(path: $0).dataSet }
        #expect(Set(got.compactMap { $0.uid(.sopInstanceUID) }) == Set(sent.compactMap { $0.uid(.sopInstanceUID) }) && got.count == 3)
        #expect(got.allSatisfy { dataSet in sent.contains { $0[.pixelData] == dataSet[.pixelData] && $0.uid(.sopInstanceUID) == dataSet.uid(.sopInstanceUID) } })

        // The PACS is restored — from a backup that has the studies before the outage — and comes back.
        try FileManager.default.removeItem(atPath: work + "/pacs/received.log")
        pacs = try await PACSStandIn(port: pacs.port, directory: work + "/pacs")
        defer { pacs.stop() }
        #expect(pacs.held().count == 6)

        let since = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(outage)
        let failback = try await Subprocess.run(DumpCommandTests.binary.path, ["failback", "--to", "PACS", "--since", since, "--config", work + "/lifeboat.yaml",
                                                                               "--concurrency", "1"])
        #expect(failback.status == 0, "\(failback.text) \(failback.errors)")
        #expect(failback.text.contains("5 studies compared, 2 already held, 3 lacking instances"), "\(failback.text)")
        #expect(failback.text.contains("9 instances missing, 9 sent") && failback.text.contains("9 confirmed, 0 refused"), "\(failback.text)")

        // Newest downtime study first, and only the downtime studies.
        #expect(pacs.studyOrder() == during.reversed(), "\(pacs.received())")
        // Each confirmed by Storage Commitment, as the kept report says.
        let reports = try FileManager.default.contentsOfDirectory(atPath: work + "/data/failback").filter { $0.hasSuffix(".json") }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/data/failback/\(try #require(reports.first))"))) as? [String: Any]
        let reported = try #require(report?["studies"] as? [[String: Any]])
        #expect(reported.map { $0["studyInstanceUID"] as? String } == during.reversed())
        #expect(reported.allSatisfy { $0["confirmedBy"] as? String == "storage-commitment" && $0["confirmed"] as? Int == 3 && $0["duringDowntime"] as? Bool == true })
        // The PACS now holds every instance, its data set exactly as the modality sent it.
        #expect(pacs.held().count == 15)
        for study in studies {
            for path in files[study]! {
                let instance = try #require(try DICOMFile(path: path, options: .headerOnly).dataSet.uid(.sopInstanceUID))
                #expect(try pacs.dataSetBytes(instance) == (try PACSStandIn.dataSetBytes(of: path)), "\(instance)")
            }
        }
        // Each study given back is in the audit trail, as an export.
        let exports = try SecurityServeTests.records(work + "/data").filter { $0.action == .export && $0.detail.hasPrefix("failback to PACS") }
        #expect(Set(exports.map(\.subject)) == Set(during.map { "study=\($0)" }))
    }
}
