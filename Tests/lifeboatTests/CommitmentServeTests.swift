import Archive
import DICOM
import Foundation
import Security
import TestSupport
import Testing

/// `lifeboat serve` as Storage Commitment SCP to a modality (pynetdicom) that releases the
/// association as soon as its N-ACTION is answered, as many do: the report goes to the
/// modality on an association of Lifeboat's own (PS3.4 J.3.3), proposing the SCP role, to
/// the address its dicom-peers entry gives — and again, later, when it is not yet listening.
@Suite struct CommitmentServeTests {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/modality_commitment.py").path

    /// Asks serve to commit two stored instances and one it never received, then releases.
    func askAndRelease(listenAfter seconds: Double) async throws {
        let modality = try TestArchive()
        let study = "1.2.826.0.1.3680043.10.62.\(Int(seconds * 10))"
        try await modality.store(2, study: study)
        let instances = try await modality.archive.catalog.failbackInstances(study: study)
        let listenPort = LoopbackPort.free()
        let config = "dicom-peers: [{ae: MODALITY, address: 127.0.0.1, rights: [store], port: \(listenPort)}]"
        try await SecurityServeTests.withServe(config: config) { site in
            let files = try instances.map { try #require(modality.archive.blobs.localPath(of: $0.blob)) }
            let store = try await SecurityServeTests.dcmtk("storescu", ["-aet", "MODALITY", "-aec", "LIFEBOAT", "127.0.0.1", "\(site.dicomPort)"] + files)
            #expect(store.status == 0, "\(store.errors)")
            let references = instances.map { "\($0.sopClassUID):\($0.sopInstanceUID)" } + ["\(TestArchive.ctImage):1.2.826.0.1.3680043.10.62.404"]
            let run = try await Subprocess.run("/usr/bin/env", ["python3", Self.helper, "127.0.0.1", "\(site.dicomPort)", "LIFEBOAT", "\(listenPort)",
                                                                "MODALITY"] + references + ["--listen-after", "\(seconds)"])
            #expect(run.status == 0, "\(run.errors)")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(run.text.utf8)) as? [String: Any], "\(run.text) \(run.errors)")
            #expect(answer["action_status"] as? Int == 0)
            let report = try #require(answer["report"] as? [String: Any], "no report came: \(run.text) \(site.serve.log)")
            #expect(report["transaction"] as? String == answer["transaction"] as? String)
            #expect(Set(report["committed"] as? [String] ?? []) == Set(instances.map(\.sopInstanceUID)))
            let failed = report["failed"] as? [[Any]] ?? []
            #expect(failed.count == 1 && failed.first?.first as? String == "1.2.826.0.1.3680043.10.62.404" && failed.first?.last as? Int == 0x0112)
            #expect(report["event_type"] as? Int == 2 && report["calling_ae"] as? String == "LIFEBOAT")
            #expect(report["requestor_took_scp_role"] as? Bool == true)
            // Delivered, and so audited; the first attempts' failures are in the log.
            let sent = try await SecurityServeTests.waitForRecord(site.data) { $0.action == .export && $0.subject.hasPrefix("storage commitment report") }
            #expect(sent?.succeeded == true && sent?.detail.contains("MODALITY@127.0.0.1:\(listenPort)") == true)
            if seconds > 0 { #expect(site.serve.log.contains("trying again in"), "\(site.serve.log)") }
        }
    }

    @Test func aModalityThatReleasedGetsItsReportOnAnAssociationOfLifeboatsOwn() async throws {
        try await askAndRelease(listenAfter: 0)
    }

    @Test func aModalityNotYetListeningGetsItsReportOnALaterAttempt() async throws {
        try await askAndRelease(listenAfter: 3)
    }
}
