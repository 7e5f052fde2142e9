import Archive
import DICOM
import Foundation
import Security
import TestSupport
import Testing

/// The whole outage with real processes: a PACS stand-in (pynetdicom) goes down and the PACS
/// watch of `lifeboat serve` opens a downtime; modalities (dcmtk storescu) keep sending to
/// Lifeboat; a reader retrieves through Lifeboat (getscu); the PACS comes back without the
/// downtime studies and the watch closes the downtime (each told once to a webhook); `lifeboat failback` gives them back
/// newest first, each committed, and the PACS then holds every instance byte for byte — whether
/// the PACS reports commitment on the request's association or, as most do, on one it opens to
/// `lifeboat serve` once the request's is released (PS3.4 J.3.3).
@Suite struct DowntimeScenarioTests {
    @Test(arguments: [false, true])
    func thePACSGetsBackWhatItMissedNewestFirstAndCommitted(reportsOnItsOwnAssociation: Bool) async throws {
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
        let webhook = try await AlertSink(.webhook)
        let dicomPort = LoopbackPort.free()
        try """
            data: \(work)/data
            http-port: 0
            dicom-nodes: [PACS@127.0.0.1:\(pacs.port)]
            pacs-watch: [PACS]
            pacs-watch-seconds: 1
            pacs-down-after: 2
            alert-webhook: http://127.0.0.1:\(webhook.port)/lifeboat
            dicom-peers: [{ae: READER, address: 127.0.0.1, rights: [query, retrieve]}]
            """.write(toFile: work + "/lifeboat.yaml", atomically: true, encoding: .utf8)
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--config", work + "/lifeboat.yaml", "--dicom-port", "\(dicomPort)"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(dicomPort, of: serve)
        func store(_ study: String, to port: Int, as called: String) async throws {
            let run = try await SecurityServeTests.dcmtk("storescu", ["-aet", "MODALITY", "-aec", called, "127.0.0.1", "\(port)"] + files[study]!)
            #expect(run.status == 0, "\(run.text) \(run.errors)")
        }

        // Before the outage each study goes to the PACS and to Lifeboat.
        for study in before {
            try await store(study, to: pacs.port, as: "PACS")
            try await store(study, to: dicomPort, as: "LIFEBOAT")
        }
        func status() async throws -> String {
            try await Subprocess.run(DumpCommandTests.binary.path, ["downtime", "status", "--config", work + "/lifeboat.yaml"]).text
        }
        try await Polling.waitUntil(seconds: 30) { try await status().contains("PACS is up") }
        // The PACS goes down: the watch sees it and opens a downtime; the modalities keep sending to Lifeboat.
        pacs.stop()
        try await Polling.waitUntil(seconds: 30) { try await status().contains("still open") }
        #expect(try await status().contains("PACS is down"))
        func alerts() -> [String] {
            webhook.received().compactMap { $0["body"] as? [String: Any] }.filter { $0["kind"] as? String == "pacs-down" }
                .map { "\($0["state"] as? String ?? "") \($0["summary"] as? String ?? "")" }
        }
        try await Polling.waitUntil(seconds: 10) { alerts() == ["firing PACS is down"] }
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
        pacs = try await PACSStandIn(port: pacs.port, directory: work + "/pacs", reportTo: reportsOnItsOwnAssociation ? "LIFEBOAT@127.0.0.1:\(dicomPort)" : nil)
        defer { pacs.stop() }
        #expect(pacs.held().count == 6)
        // The watch sees it back and closes the downtime it opened.
        try await Polling.waitUntil(seconds: 30) { try await status().contains("ended") }
        let incident = try await status()
        #expect(incident.contains("PACS is up") && incident.contains("(watch), ended") && incident.contains("by watch"), "\(incident)")
        try await Polling.waitUntil(seconds: 10) { alerts() == ["firing PACS is down", "resolved PACS is up again"] }

        // Failback knows the downtime from the incident: no --since needed.
        let failback = try await Subprocess.run(DumpCommandTests.binary.path, ["failback", "--to", "PACS", "--config", work + "/lifeboat.yaml",
                                                                               "--concurrency", "1"])
        #expect(failback.status == 0, "\(failback.text) \(failback.errors)")
        #expect(failback.text.contains("5 studies compared, 2 already held, 3 lacking instances"), "\(failback.text)")
        #expect(failback.text.contains("9 instances missing, 9 sent") && failback.text.contains("9 confirmed, 0 refused"), "\(failback.text)")

        // Newest downtime study first, and only the downtime studies.
        #expect(pacs.studyOrder() == during.reversed(), "\(pacs.received())")
        let reportedElsewhere = pacs.services().filter { $0.service == "report" }.count
        #expect(reportsOnItsOwnAssociation ? reportedElsewhere >= 1 : reportedElsewhere == 0, "\(pacs.services())")
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

    /// Without `lifeboat serve`, `lifeboat failback` takes the reports a PACS sends on an
    /// association of its own on the DICOM port itself — from a dicom-node even with dicom-strict.
    @Test func failbackWithoutAServerTakesTheReportsOnTheDICOMPortItself() async throws {
        let site = try TestArchive()
        for number in 1...2 { try await site.store(3, study: "1.2.826.0.1.3680043.10.61.\(number)") }
        let dicomPort = LoopbackPort.free()
        let pacs = try await PACSStandIn(directory: site.root + "/pacs", reportTo: "LIFEBOAT@127.0.0.1:\(dicomPort)")
        defer { pacs.stop() }
        try """
            data: \(site.root)
            dicom-port: \(dicomPort)
            dicom-strict: true
            dicom-nodes: [PACS@127.0.0.1:\(pacs.port)]
            """.write(toFile: site.root + "/lifeboat.yaml", atomically: true, encoding: .utf8)
        let failback = try await Subprocess.run(DumpCommandTests.binary.path, ["failback", "--to", "PACS", "--config", site.root + "/lifeboat.yaml"])
        #expect(failback.status == 0, "\(failback.text) \(failback.errors)")
        #expect(failback.text.contains("listening on DICOM port \(dicomPort)"), "\(failback.text)")
        #expect(failback.text.contains("6 instances missing, 6 sent") && failback.text.contains("6 confirmed, 0 refused"), "\(failback.text)")
        #expect(pacs.services().contains { $0.service == "report" } && !pacs.services().contains { $0.service == "report-failed" }, "\(pacs.services())")
    }

    @Test func anOperatorOpensAndClosesADowntime() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("downtime-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        _ = try LocalArchive(root: data)
        func lifeboat(_ arguments: [String]) async throws -> Subprocess { try await Subprocess.run(DumpCommandTests.binary.path, ["downtime"] + arguments + ["--data", data]) }
        let started = try await lifeboat(["start", "--node", "PACS", "--reason", "PACS database restore"])
        #expect(started.status == 0 && started.text.contains("still open") && started.text.contains("PACS database restore"), "\(started.text) \(started.errors)")
        #expect(try await lifeboat(["status"]).text.contains("PACS: from"))
        let ended = try await lifeboat(["end", "--node", "PACS"])
        #expect(ended.status == 0 && ended.text.contains("ended") && ended.text.contains("lifeboat failback --to PACS"), "\(ended.text)")
        let again = try await lifeboat(["end", "--node", "PACS"])
        #expect(again.status != 0 && again.errors.contains("PACS has no open downtime"), "\(again.errors)")
        let noNode = try await lifeboat(["start"])
        #expect(noNode.status != 0 && noNode.errors.contains("--node"), "\(noNode.errors)")
        let records = try SecurityServeTests.records(data).filter { $0.subject == "downtime PACS" }
        #expect(records.map(\.detail) == ["downtime started: PACS database restore", "downtime ended"])
    }
}
