import Archive
import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// C-MOVE to dcmtk's storescp and C-GET back to getscu and pynetdicom, from an archive
/// holding pydicom's corpus: every instance the identifier names arrives with its data set
/// unchanged, and the counts and final status say what happened.
@Suite(.serialized) struct RetrieveTests {
    static func temporaryDirectory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A study of the corpus with more than one instance, and its files.
    static func studyWithSeveralInstances(_ files: [QueryTests.Imported]) throws -> (uid: String, files: [QueryTests.Imported]) {
        let studies = Dictionary(grouping: files) { $0.dataSet.uid(.studyInstanceUID) ?? "" }
        let (uid, members) = try #require(studies.filter { !$0.key.isEmpty && $0.value.count > 1 }.max { $0.value.count < $1.value.count })
        return (uid, members)
    }

    /// The data sets written to `directory`, by SOP Instance UID.
    static func received(in directory: String) throws -> [String: DataSet] {
        var byUID: [String: DataSet] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let file = try DICOMFile(path: "\(directory)/\(name)")
            if let uid = file.dataSet.uid(.sopInstanceUID) { byUID[uid] = file.dataSet }
        }
        return byUID
    }

    /// A study fetched by pynetdicom's C-GET into `directory`: its last response's status and counts.
    static func pynetdicomGet(_ study: (uid: String, files: [QueryTests.Imported]), from port: Int, into directory: String) async throws -> [String: Int] {
        let sopClasses = Set(study.files.compactMap { $0.dataSet.uid(.sopClassUID) })
        let run = try await Subprocess.run("python3", [Interop.helper, "get", "127.0.0.1", "\(port)", "LIFEBOAT", study.uid, directory] + sopClasses.sorted())
        let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
        return try #require((result["responses"] as? [[String: Any]])?.last?.compactMapValues { $0 as? Int })
    }

    static func expectSame(_ received: [String: DataSet], as sent: [QueryTests.Imported]) throws {
        #expect(Set(received.keys) == Set(sent.compactMap { $0.dataSet.uid(.sopInstanceUID) }))
        for file in sent {
            let uid = try #require(file.dataSet.uid(.sopInstanceUID))
            guard let arrived = received[uid] else { continue }
            let full = try DICOMFile(path: file.path)
            #expect(Interop.comparable(arrived) == Interop.comparable(full.dataSet), "\(uid)")
        }
    }

    /// dcmtk's storescp taking any syntax (+xa) as the C-MOVE destination STORESCP, writing
    /// what arrives into a directory of its own: `body` gets its port and that directory.
    static func withStorescp(_ name: String, _ body: (_ port: Int, _ directory: String) async throws -> Void) async throws {
        let directory = try temporaryDirectory(name)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = LoopbackPort.free()
        let storescp = try BackgroundProcess("/usr/bin/storescp", ["+xa", "-aet", "STORESCP", "-od", directory, "\(port)"],
                                             environment: ["TCP_NODELAY": "1"])
        defer { storescp.stop() }
        try await LoopbackPort.waitUntilListening(port)
        try await body(port, directory)
    }

    /// dcmtk's movescu asking Lifeboat on `port` to move a study to STORESCP.
    static func movescu(_ studyUID: String, from port: Int) async throws -> Subprocess {
        try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/movescu", "-v", "-S", "-aec", "LIFEBOAT", "-aem", "STORESCP",
                                                  "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(studyUID)", "127.0.0.1", "\(port)"])
    }

    /// One bit of rot in the last byte of a stored file: only its hash can tell.
    static func rotLastByte(ofFileAt path: String) throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0x01
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func movescuSendsAStudyToStorescp() async throws {
        try await Self.withStorescp("move-destination") { port, directory in
            try await Interop.withLifeboat(nodes: [DICOMNode(aeTitle: "STORESCP", host: "127.0.0.1", port: port)]) { lifeboat, archive in
                let files = try await QueryTests.importCorpus(into: archive)
                let study = try Self.studyWithSeveralInstances(files)
                let run = try await Self.movescu(study.uid, from: lifeboat)
                #expect(run.status == 0, "\(run.failures)")
                let said = run.text + run.errors
                #expect(said.contains("Received Final Move Response (Success)"), "\(said)")
                try Self.expectSame(try Self.received(in: directory), as: study.files)
            }
        }
    }

    @Test func moveRefusalsSayWhy() async throws {
        let closed = LoopbackPort.free() // nothing listens there
        try await Interop.withLifeboat(nodes: [DICOMNode(aeTitle: "GONE", host: "127.0.0.1", port: closed)]) { lifeboat, archive in
            let files = try await QueryTests.importCorpus(into: archive)
            let study = try Self.studyWithSeveralInstances(files)
            func move(to destination: String, _ keys: [String]) async throws -> String {
                let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/movescu", "-d", "-S", "-aec", "LIFEBOAT", "-aem", destination]
                                                   + keys.flatMap { ["-k", $0] } + ["127.0.0.1", "\(lifeboat)"])
                return run.text + run.errors
            }
            // PS3.4 C.4.2.1.5: A801 for a destination that is not configured.
            let unknown = try await move(to: "NOBODY", ["QueryRetrieveLevel=STUDY", "StudyInstanceUID=\(study.uid)"])
            #expect(unknown.contains("0xa801"), "\(unknown)")
            #expect(unknown.contains("NOBODY"), "\(unknown)")
            // A702 when not one sub-operation could be done, the reason in the comment, the instances listed.
            let unreachable = try await move(to: "GONE", ["QueryRetrieveLevel=STUDY", "StudyInstanceUID=\(study.uid)"])
            #expect(unreachable.contains("0xa702"), "\(unreachable)")
            let failedCounts = unreachable.split(separator: "\n").filter { $0.contains("Failed Suboperations") }
            #expect(failedCounts.last?.hasSuffix(": \(study.files.count)") == true, "\(failedCounts.suffix(2))")
            #expect(unreachable.contains("GONE at 127.0.0.1:\(closed) unreachable"), "\(unreachable)")
            #expect(unreachable.contains("FailedSOPInstanceUIDList"), "\(unreachable)")
            // No unique key: refused rather than sending the whole archive.
            let everything = try await move(to: "GONE", ["QueryRetrieveLevel=STUDY", "PatientName=*"])
            #expect(everything.contains("0xa900"), "\(everything)")
        }
    }

    @Test func getscuGetsASeries() async throws {
        let directory = try Self.temporaryDirectory("getscu")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Interop.withLifeboat { lifeboat, archive in
            let files = try await QueryTests.importCorpus(into: archive)
            let study = try Self.studyWithSeveralInstances(files)
            let run = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/getscu", "-v", "-S", "-aec", "LIFEBOAT", "-od", directory,
                                                                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(study.uid)",
                                                                "127.0.0.1", "\(lifeboat)"])
            #expect(run.status == 0, "\(run.failures)")
            let said = run.text + run.errors
            #expect(said.contains("Received C-GET Response (Success)"), "\(said)")
            try Self.expectSame(try Self.received(in: directory), as: study.files)
        }
    }

    @Test func pynetdicomGetCountsEverySubOperation() async throws {
        let directory = try Self.temporaryDirectory("pynetdicom-get")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Interop.withLifeboat { lifeboat, archive in
            let files = try await QueryTests.importCorpus(into: archive)
            let study = try Self.studyWithSeveralInstances(files)
            let sopClasses = Set(study.files.compactMap { $0.dataSet.uid(.sopClassUID) })
            let run = try await Subprocess.run("python3", [Interop.helper, "get", "127.0.0.1", "\(lifeboat)", "LIFEBOAT", study.uid, directory]
                                                          + sopClasses.sorted())
            let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
            let responses = try #require(result["responses"] as? [[String: Any]]).map { $0.compactMapValues { $0 as? Int } }
            // One pending response per sub-operation, remaining counting down, then Success.
            #expect(responses.count == study.files.count + 1)
            #expect(responses.dropLast().map { $0["remaining"] } == (0..<study.files.count).reversed().map { $0 })
            #expect(responses.last?["status"] == 0)
            #expect(responses.last?["completed"] == study.files.count)
            #expect(responses.last?["failed"] == 0)
            let received = try Self.received(in: directory)
            try Self.expectSame(received, as: study.files)
        }
    }

    @Test func pynetdicomCancelStopsAMove() async throws {
        let files = try Self.temporaryDirectory("move-source")
        let destination = try Self.temporaryDirectory("move-cancel")
        defer {
            try? FileManager.default.removeItem(atPath: files)
            try? FileManager.default.removeItem(atPath: destination)
        }
        let port = LoopbackPort.free()
        let storescp = try BackgroundProcess("/usr/bin/storescp", ["-aet", "STORESCP", "-od", destination, "\(port)"], environment: ["TCP_NODELAY": "1"])
        defer { storescp.stop() }
        try await LoopbackPort.waitUntilListening(port)
        try await Interop.withLifeboat(nodes: [DICOMNode(aeTitle: "STORESCP", host: "127.0.0.1", port: port)]) { lifeboat, archive in
            // A study of 300 small images: enough that the move is still going when the C-CANCEL comes.
            for number in 1...300 {
                var dataSet = DataSet()
                func put(_ tag: Tag, _ vr: VR, _ value: String) { dataSet[tag] = DataElement(tag: tag, vr: vr, strings: [value]) }
                put(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
                put(.sopInstanceUID, .UI, "1.2.826.0.1.77.\(number)")
                put(.studyInstanceUID, .UI, "1.2.826.0.1.77")
                put(.seriesInstanceUID, .UI, "1.2.826.0.1.77.0")
                put(.patientID, .LO, "CANCEL")
                dataSet[.pixelData] = DataElement(tag: .pixelData, vr: .OB, bytes: [UInt8](repeating: UInt8(number % 256), count: 4096))
                try DICOMFile(dataSet: dataSet).write(toPath: "\(files)/\(number).dcm")
                _ = await Importer(ingestor: archive.ingestor).importFile(at: "\(files)/\(number).dcm")
            }
            let run = try await Subprocess.run("python3", [Interop.helper, "move", "127.0.0.1", "\(lifeboat)", "LIFEBOAT", "STORESCP", "1.2.826.0.1.77", "3"])
            let result = try #require((try? JSONSerialization.jsonObject(with: run.output)) as? [String: Any], "\(run.text) \(run.errors)")
            let responses = try #require(result["responses"] as? [[String: Any]]).map { $0.compactMapValues { $0 as? Int } }
            // PS3.4 C.4.2.3.1: the last response says Cancel and how many sub-operations remained.
            let last = try #require(responses.last)
            #expect(last["status"] == 0xFE00, "\(responses.suffix(2))")
            #expect((last["remaining"] ?? 0) > 0)
            #expect((last["completed"] ?? 0) + (last["remaining"] ?? 0) + (last["failed"] ?? 0) == 300)
            let arrived = try FileManager.default.contentsOfDirectory(atPath: destination).count
            #expect(arrived == last["completed"])
        }
    }

    /// A damaged blob is found before it goes (zero-loss invariant 3): its sub-operation fails,
    /// the rest of the study still goes.
    @Test func aDamagedBlobIsNotSentByCMove() async throws {
        try await Self.withStorescp("move-damaged") { port, directory in
            try await Interop.withLifeboat(nodes: [DICOMNode(aeTitle: "STORESCP", host: "127.0.0.1", port: port)]) { lifeboat, archive in
                let files = try await QueryTests.importCorpus(into: archive)
                let study = try Self.studyWithSeveralInstances(files)
                let victim = try #require(study.files.dropFirst().first?.dataSet.uid(.sopInstanceUID))
                let blob = try #require(try await archive.catalog.versions(of: victim).last?.blob)
                try Self.rotLastByte(ofFileAt: try #require(archive.blobs.localPath(of: blob)))
                let run = try await Self.movescu(study.uid, from: lifeboat)
                let said = run.text + run.errors
                // PS3.4 C.4.2.1.5: B000, sub-operations complete with one or more failures.
                #expect(said.contains("Received Final Move Response (Warning: SubOperationsCompleteOneOrMoreFailures)"), "\(said)")
                let received = try Self.received(in: directory)
                #expect(received[victim] == nil, "the damaged instance never arrived whole")
                try Self.expectSame(received, as: study.files.filter { $0.dataSet.uid(.sopInstanceUID) != victim })
            }
        }
    }

    @Test func aDamagedBlobIsNotSentByCGet() async throws {
        let directory = try Self.temporaryDirectory("get-damaged")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Interop.withLifeboat { lifeboat, archive in
            let files = try await QueryTests.importCorpus(into: archive)
            let study = try Self.studyWithSeveralInstances(files)
            let victim = try #require(study.files.first?.dataSet.uid(.sopInstanceUID))
            let blob = try #require(try await archive.catalog.versions(of: victim).last?.blob)
            try Self.rotLastByte(ofFileAt: try #require(archive.blobs.localPath(of: blob)))
            let last = try await Self.pynetdicomGet(study, from: lifeboat, into: directory)
            // PS3.4 C.4.3.1.4: B000, the damaged one failed, the rest sent.
            #expect(last["status"] == 0xB000)
            #expect(last["failed"] == 1)
            #expect(last["completed"] == study.files.count - 1)
            let received = try Self.received(in: directory)
            #expect(received[victim] == nil)
            #expect(received.count == study.files.count - 1)
        }
    }
}
