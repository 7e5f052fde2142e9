import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// dcmtk's echoscu, storescu and storescp against Lifeboat (TCP_NODELAY=1 so that dcmtk
/// does not wait on delayed ACKs).
@Suite(.serialized) struct DcmtkTests {
    static let environment = ["TCP_NODELAY": "1"]

    @Test func echoscuIsAnswered() async throws {
        try await Interop.withLifeboat { port, _ in
            let ok = try await Subprocess.run("/usr/bin/echoscu", ["-aec", "LIFEBOAT", "127.0.0.1", "\(port)"])
            #expect(ok.status == 0, "\(ok.errors)")
            let wrong = try await Subprocess.run("/usr/bin/echoscu", ["-aec", "NOT_US", "127.0.0.1", "\(port)"])
            #expect(wrong.status != 0)
            #expect((wrong.text + wrong.errors).contains("Called AE Title Not Recognized"), "\(wrong.text)\(wrong.errors)")
        }
    }

    /// storescu proposes uncompressed syntaxes unless told one compression per run; the
    /// compressed files go through pynetdicom and `lifeboat send`, which propose each file's own.
    @Test(arguments: [4096, 16384, 131072])
    func storescuSendsTheCorpus(maximumPDU: Int) async throws {
        let files = try Interop.corpus().filter { !$0.transferSyntax.isEncapsulated }
        try await Interop.withLifeboat(maximumLength: UInt32(maximumPDU)) { port, archive in
            let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/storescu", "-R", "-aec", "LIFEBOAT", "--max-pdu", "\(maximumPDU)",
                                                          "127.0.0.1", "\(port)"] + files.map(\.path))
            #expect(run.status == 0, "\(run.failures)")
            var compared = 0
            for file in files {
                guard let received = try await Interop.stored(file.sopInstanceUID, in: archive) else {
                    Issue.record("\(file.path) did not arrive: \(run.failures)")
                    continue
                }
                let sent = try DICOMFile(path: file.path)
                let stored = try DICOMFile(path: received)
                #expect(Interop.comparable(stored.dataSet) == Interop.comparable(sent.dataSet), "\(file.path)")
                compared += 1
            }
            #expect(compared == files.count)
        }
    }

    @Test func lifeboatSendsToStorescpByteForByte() async throws {
        let files = try Interop.corpus()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-storescp-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = LoopbackPort.free()
        let storescp = try BackgroundProcess("/usr/bin/storescp", ["+B", "+xa", "-aet", "STORESCP", "-od", directory, "\(port)"],
                                             environment: Self.environment)
        defer { storescp.stop() }
        try await LoopbackPort.waitUntilListening(port)

        let sender = FileSender(configuration: .init(host: "127.0.0.1", port: port, callingAETitle: "LIFEBOAT", calledAETitle: "STORESCP"))
        let outcomes = await sender.send(files.map(\.path))
        let received = try FileManager.default.contentsOfDirectory(atPath: directory)
        var byUID: [String: String] = [:]
        for name in received {
            let path = "\(directory)/\(name)"
            if let uid = try? DICOMFile(path: path, options: .headerOnly).fileMeta.uid(.mediaStorageSOPInstanceUID) { byUID[uid] = path }
        }
        var identical = 0
        for (file, outcome) in zip(files, outcomes.sorted { a, b in files.firstIndex { $0.path == a.path }! < files.firstIndex { $0.path == b.path }! }) {
            guard outcome.succeeded else {
                // storescp refuses transfer syntaxes dcmtk does not know, and aborts when asked to
                // keep a deflated data set bit for bit (+B); anything else is a failure.
                let refused = outcome.problem?.contains("accepted no presentation context") == true
                let deflated = file.transferSyntax.isDeflated && outcome.problem?.contains("aborted") == true
                #expect(refused || deflated, "\(file.path): \(outcome)")
                continue
            }
            let path = try #require(byUID[file.sopInstanceUID], "\(file.path) reported stored but not found")
            // One storescp took in no syntax of its own went decoded (TranscodingTests checks those).
            if outcome.transcoded != nil { continue }
            #expect(try Interop.dataSetBytes(path) == Interop.dataSetBytes(file.path), "\(file.path)")
            identical += 1
        }
        #expect(identical > files.count * 3 / 4, "\(identical) of \(files.count) stored byte for byte")
    }
}
