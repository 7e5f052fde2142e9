import Archive
import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// pynetdicom as SCU and as SCP against Lifeboat.
@Suite(.serialized) struct PynetdicomTests {
    @Test(arguments: [16384, 1 << 20])
    func pynetdicomStoresToLifeboat(maximumPDU: Int) async throws {
        let files = try Interop.corpus().filter { !$0.transferSyntax.isBigEndian } // pynetdicom 3 does not send big endian
        try await Interop.withLifeboat(maximumLength: UInt32(maximumPDU)) { port, archive in
            let run = try await Subprocess.run("python3", [Interop.helper, "scu", "127.0.0.1", "\(port)", "LIFEBOAT", "\(maximumPDU)"] + files.map(\.path))
            let results = try #require(try JSONSerialization.jsonObject(with: run.output) as? [[String: Any]], "\(run.text) \(run.errors)")
            #expect(results.first?["status"] as? Int == 0, "C-ECHO")
            let statuses = Dictionary(results.dropFirst().compactMap { result in
                (result["file"] as? String).map { ($0, result["status"] as? Int) }
            }) { first, _ in first }
            var refused = 0
            for file in files {
                let sent = try DICOMFile(path: file.path)
                let path = try await Interop.stored(file.sopInstanceUID, in: archive)
                // A few of pydicom's JPEG-LS samples have no study or series UID: the archive
                // cannot file them and refuses them, C000 (PS3.4 B.2.3), rather than guess.
                guard sent.dataSet.uid(.studyInstanceUID) != nil, sent.dataSet.uid(.seriesInstanceUID) != nil else {
                    #expect(statuses[file.path] == 0xC000, "\(file.path)")
                    #expect(path == nil, "\(file.path)")
                    refused += 1
                    continue
                }
                #expect(statuses[file.path] == 0, "\(file.path)")
                let stored = try DICOMFile(path: try #require(path, "\(file.path) did not arrive"))
                #expect(Interop.comparable(stored.dataSet) == Interop.comparable(sent.dataSet), "\(file.path)")
            }
            #expect(refused < 10, "most of the corpus is stored")
        }
    }

    @Test func lifeboatSendsToPynetdicomByteForByte() async throws {
        let files = try Interop.corpus()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-pynetdicom-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = LoopbackPort.free()
        let scp = try BackgroundProcess("/usr/bin/env", ["python3", Interop.helper, "scp", "\(port)", "PYNETDICOM", directory])
        defer { scp.stop() }
        try await LoopbackPort.waitUntilListening(port)

        let sender = FileSender(configuration: .init(host: "127.0.0.1", port: port, calledAETitle: "PYNETDICOM", maximumLength: 1 << 20))
        let outcomes = await sender.send(files.map(\.path))
        let failed = outcomes.filter { !$0.succeeded }
        #expect(failed.isEmpty, "\(failed)")
        for file in files {
            let raw = try Array(Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(file.sopInstanceUID).raw")))
            #expect(raw == (try Interop.dataSetBytes(file.path)), "\(file.path)")
        }
    }

    /// A modality's Storage Commitment request (pynetdicom): answered, then reported on the
    /// same association — held instances committed, the rest failed with their reason (PS3.4 J.3.3).
    @Test func lifeboatCommitsWhatItHoldsToAModality() async throws {
        let files = Array(try Interop.corpus().filter { !$0.transferSyntax.isBigEndian }.prefix(3))
        try await Interop.withLifeboat { port, archive in
            let outcomes = await FileSender(configuration: .init(host: "127.0.0.1", port: port, calledAETitle: "LIFEBOAT")).send(files.map(\.path))
            let stored = outcomes.filter(\.succeeded).compactMap(\.sopInstanceUID)
            try #require(stored.count >= 2, "\(outcomes)")
            var references: [String] = []
            for uid in stored.prefix(2) {
                let sopClass = try #require(try await archive.catalog.sopClasses(of: [uid])[uid])
                references.append("\(sopClass):\(uid)")
            }
            let unknown = "1.2.826.0.1.3680043.10.999.1"
            let conflicting = "1.2.840.10008.5.1.4.1.1.4:\(stored[0])" // held, but as another SOP class
            let run = try await Subprocess.run("python3", [Interop.helper, "commit", "127.0.0.1", "\(port)", "LIFEBOAT"]
                + references + ["1.2.840.10008.5.1.4.1.1.2:\(unknown)", conflicting])
            let answer = try #require(try JSONSerialization.jsonObject(with: run.output) as? [String: Any], "\(run.text) \(run.errors)")
            #expect(answer["action"] as? Int == 0)
            #expect(answer["event"] as? Int == 2, "some failed: event type 2")
            #expect(answer["transaction_matches"] as? Bool == true)
            #expect(Set(answer["committed"] as? [String] ?? []) == Set(stored.prefix(2)))
            let failed = (answer["failed"] as? [[Any]] ?? []).map { "\($0[0]) \($0[1])" }
            #expect(Set(failed) == ["\(unknown) \(0x0112)", "\(stored[0]) \(0x0119)"])
        }
    }
}
