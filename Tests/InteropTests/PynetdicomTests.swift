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
        try await Interop.withLifeboat(maximumLength: UInt32(maximumPDU)) { port, directory in
            let run = try await Subprocess.run("python3", [Interop.helper, "scu", "127.0.0.1", "\(port)", "LIFEBOAT", "\(maximumPDU)"] + files.map(\.path))
            let results = try #require(try JSONSerialization.jsonObject(with: run.output) as? [[String: Any]], "\(run.text) \(run.errors)")
            #expect(results.first?["status"] as? Int == 0, "C-ECHO")
            for result in results.dropFirst() {
                #expect(result["status"] as? Int == 0, "\(result)")
            }
            for file in files {
                let stored = try DICOMFile(path: "\(directory)/\(file.sopInstanceUID).dcm")
                let sent = try DICOMFile(path: file.path)
                #expect(Interop.comparable(stored.dataSet) == Interop.comparable(sent.dataSet), "\(file.path)")
            }
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
}
