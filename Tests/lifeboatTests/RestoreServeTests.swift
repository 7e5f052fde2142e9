import Archive
import DICOM
import Protection
import Foundation
import Replication
import S3
import TestSupport
import Testing

/// The disaster test: a site lost whole, `lifeboat restore` from moto over a slow link, and
/// `lifeboat serve` on the directory being restored answering a query for the oldest study —
/// the last to come back — and retrieving it (getscu, C-GET) before the restore has finished.
@Suite struct RestoreServeTests {
    @Test func aStudyNotYetRestoredIsFoundAndRetrievedWhileTheRestoreGoesOn() async throws {
        let moto = try await MotoServer(authenticated: false) // restore lists folders: see MotoServer
        let s3 = S3Client(location: try #require(S3Location(endpoint: moto.endpoint, bucket: "offsite")),
                          credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
        try await s3.createBucket()
        // The site before the disaster: the oldest study first, then 40 more instances.
        let lost = try TestArchive()
        let oldest = try await lost.store(4, study: "1.2.826.0.50.1", pixels: 64 << 10)
        try await lost.store(40, study: "1.2.826.0.50.2", pixels: 64 << 10)
        let target = S3Target(name: "offsite", client: s3)
        try await lost.replicate([target])
        let snapshot = lost.root + "/snapshot.sqlite"
        try await lost.archive.catalog.snapshot(to: snapshot)
        try await target.put(snapshot: snapshot, name: "20261122T000000Z.sqlite")

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("restore-serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work + "/got", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        func config(_ name: String, endpoint: String) throws -> String {
            try """
                data: \(work)/data
                http-port: 0
                dicom-peers: [{ae: READER, address: 127.0.0.1, rights: [query, retrieve]}]
                replication-targets:
                  - {name: offsite, type: s3, endpoint: "\(endpoint)", bucket: offsite}
                """.write(toFile: "\(work)/\(name).yaml", atomically: true, encoding: .utf8)
            return "\(work)/\(name).yaml"
        }
        let environment = ["AWS_ACCESS_KEY_ID": moto.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey]
        // The restore reads through a 128 KB/s link, one blob at a time: ~23 s for 2.9 MB.
        let proxyPort = LoopbackPort.free()
        let proxy = try await TCPProxy.start(port: proxyPort, target: moto.port, bytesPerSecond: 128 << 10)
        defer { proxy.stop() }
        let restore = try BackgroundProcess(DumpCommandTests.binary.path, ["restore", "--from", "offsite", "--config", try config("slow", endpoint: "http://127.0.0.1:\(proxyPort)"),
                                                                          "--data", work + "/data", "--concurrency", "1"], environment: environment)
        defer { restore.stop() }
        try await Polling.waitUntil(seconds: 60) { FileManager.default.fileExists(atPath: work + "/data/catalog.sqlite") }

        let port = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--config", try config("direct", endpoint: moto.endpoint), "--dicom-port", "\(port)"],
                                          environment: environment)
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)
        let notYetBack = try oldest.filter { !FileManager.default.fileExists(atPath: "\(work)/data/\(TargetLayout.blobKey($0))") }
        #expect(!notYetBack.isEmpty, "the oldest study is restored last")

        let find = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/findscu", "-S", "-aet", "READER", "-aec", "LIFEBOAT",
                                                             "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.826.0.50.1",
                                                             "-k", "NumberOfStudyRelatedInstances", "127.0.0.1", "\(port)"])
        #expect(find.errors.contains("1.2.826.0.50.1") && find.errors.contains("[4 ]"), "the whole catalog answers: \(find.errors)")
        let get = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/getscu", "-v", "-S", "-aet", "READER", "-aec", "LIFEBOAT", "-od", work + "/got",
                                                            "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.826.0.50.1", "127.0.0.1", "\(port)"])
        #expect(get.status == 0 && (get.text + get.errors).contains("Received C-GET Response (Success)"), "\(get.text) \(get.errors) serve said: \(serve.log.suffix(3000))")
        // getscu writes its own file meta header: the data sets are compared, element by element.
        let got = try FileManager.default.contentsOfDirectory(atPath: work + "/got").map { try DICOMFile(path: "\(work)/got/\($0)").dataSet }
        let sent = try oldest.map { try DICOMFile(path: try #require(lost.archive.blobs.localPath(of: $0))).dataSet }
        #expect(got.count == 4 && Set(got.compactMap { $0.uid(.sopInstanceUID) }) == Set(sent.compactMap { $0.uid(.sopInstanceUID) }))
        for dataSet in got {
            let original = sent.first { $0.uid(.sopInstanceUID) == dataSet.uid(.sopInstanceUID) }
            #expect(original?[.pixelData] == dataSet[.pixelData] && original?[.patientID] == dataSet[.patientID], "the instance as stored")
        }
        #expect(restore.isRunning && FileManager.default.fileExists(atPath: Restorer.markerPath(in: work + "/data")), "retrieved before the restore finished")

        try await Polling.waitUntil(seconds: 120) { !restore.isRunning }
        #expect(restore.log.contains("44 versions in all") && !FileManager.default.fileExists(atPath: Restorer.markerPath(in: work + "/data")), "\(restore.log)")
        let restored = try LocalArchive(root: work + "/data")
        for blob in try await lost.blobs() { #expect(try await restored.blobs.verify(blob)) }
    }
}
