import Foundation
import TestSupport
import Testing

/// `import`, `stats` and `config`, and `serve --config`, as an administrator runs them.
@Suite struct ArchiveCommandTests {
    static func lifeboat(_ arguments: [String]) throws -> Subprocess { try DumpCommandTests.lifeboat(arguments) }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    }

    @Test func importSaysWhatItImportedSkippedAndRefusedAndResumes() throws {
        let testFiles = try PydicomData.directory() + "/test_files"
        let folder = Self.temporary("import-source"), data = Self.temporary("import-data")
        defer { for path in [folder, data] { try? FileManager.default.removeItem(atPath: path) } }
        try FileManager.default.createDirectory(atPath: folder + "/nested", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: testFiles + "/CT_small.dcm", toPath: folder + "/CT_small.dcm")
        try FileManager.default.copyItem(atPath: testFiles + "/MR_small.dcm", toPath: folder + "/nested/MR_small.dcm")
        try FileManager.default.copyItem(atPath: testFiles + "/dicomdirtests/DICOMDIR", toPath: folder + "/DICOMDIR")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/readme.txt"))

        let first = try Self.lifeboat(["import", "--data", data, folder])
        #expect(first.status == 1, "a refused file fails the import")
        #expect(first.text.contains("4 files in"), "\(first.text)")
        #expect(first.text.contains(": 2 new instances, 0 new versions of known instances, 0 already in the archive, 1 skipped, 1 refused"), "\(first.text)")
        #expect(first.text.contains("DICOMDIR: a DICOMDIR"))
        #expect(first.text.contains("readme.txt: not a DICOM Part 10 file"))

        // Run again, as after an interruption: nothing is stored twice.
        let again = try Self.lifeboat(["import", "--data", data, folder + "/CT_small.dcm", folder + "/nested"])
        #expect(again.status == 0)
        #expect(again.text.contains(": 0 new instances, 0 new versions of known instances, 2 already in the archive, 0 skipped, 0 refused"), "\(again.text)")

        let stats = try Self.lifeboat(["stats", "--data", data])
        #expect(stats.status == 0)
        #expect(stats.text.contains("2 patients, 2 studies, 2 series, 2 instances, 2 versions"), "\(stats.text)")
        let lines = stats.text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("CT ") && $0.contains(" 1 ") && $0.hasSuffix("39.2 KB") }, "\(stats.text)")
        #expect(lines.contains { $0.hasPrefix("MR ") && $0.contains(" 1 ") }, "\(stats.text)")
    }

    @Test func statsOfADirectoryWithoutACatalogSaysSo() throws {
        let run = try Self.lifeboat(["stats", "--data", Self.temporary("nothing")])
        #expect(run.status != 0)
        #expect(run.errors.contains("no catalog here"))
    }

    /// Every `serve` option has a key in the example and every key but the target list an
    /// option, and the example is a working file.
    @Test func theConfigExampleCoversEveryServeOptionAndServes() async throws {
        let example = try Self.lifeboat(["config", "example"])
        #expect(example.status == 0)
        let keys = Set(example.text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(": ") }.map { String($0.prefix { $0 != ":" }) })
        let help = try Self.lifeboat(["serve", "--help"]).text
        let options = Set(help.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }).filter { $0.hasPrefix("--") }
            .map { String($0.dropFirst(2).prefix { $0.isLetter || $0 == "-" }) })
            .subtracting(["config", "help", "version"])
        // Replication targets, a list of mappings, are set in the file only.
        #expect(keys.subtracting(["replication-targets", "dicom-peers"]) == options, "keys \(keys.sorted()), options \(options.sorted())")

        let file = Self.temporary("lifeboat") + ".yaml", data = Self.temporary("config-data")
        defer { for path in [file, data] { try? FileManager.default.removeItem(atPath: path) } }
        let port = LoopbackPort.free()
        // The file sets the AE title and data directory; the port comes from the command line.
        let text = example.text.replacingOccurrences(of: "ae-title: LIFEBOAT", with: "ae-title: FROMFILE")
            .replacingOccurrences(of: "data: lifeboat-data", with: "data: \(data)")
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--config", file, "--dicom-port", "\(port)", "--http-port", "0"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)
        let echo = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/echoscu", "-aec", "FROMFILE", "127.0.0.1", "\(port)"])
        #expect(echo.status == 0, "\(echo.errors)")
        #expect(FileManager.default.fileExists(atPath: data + "/catalog.sqlite"))
    }

    @Test func aConfigFileWithATypoIsRefusedByName() throws {
        let file = Self.temporary("bad") + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("ae-title: A\ndicom_port: 104\n".utf8).write(to: URL(fileURLWithPath: file))
        let run = try Self.lifeboat(["serve", "--config", file])
        #expect(run.status != 0)
        #expect(run.errors.contains("unknown key \"dicom_port\" (line 2)"), "\(run.errors)")
    }
}

extension ArchiveCommandTests {
    /// The file and the command line are checked together: a peer in the file may move to a
    /// node the command line gives. And bind-address keeps both ports on one interface.
    @Test func theFileIsCheckedWithTheCommandLinesSettingsOverIt() async throws {
        let file = Self.temporary("merged") + ".yaml", data = Self.temporary("merged-data")
        defer { for path in [file, data] { try? FileManager.default.removeItem(atPath: path) } }
        try Data("""
            data: \(data)
            bind-address: 127.0.0.1
            dicom-peers: [{ae: MOVESCU, rights: [query, retrieve], move-destinations: [STORESCP]}]
            """.utf8).write(to: URL(fileURLWithPath: file))
        let port = LoopbackPort.free(), http = LoopbackPort.free()
        let serve = try BackgroundProcess(DumpCommandTests.binary.path, ["serve", "--config", file, "--dicom-nodes", "STORESCP@127.0.0.1:9",
                                                                         "--dicom-port", "\(port)", "--http-port", "\(http)"])
        defer { serve.stop() }
        try await LoopbackPort.waitUntilListening(port)
        let echo = try await Subprocess.run("/usr/bin/env", ["TCP_NODELAY=1", "/usr/bin/echoscu", "-aec", "LIFEBOAT", "127.0.0.1", "\(port)"])
        #expect(echo.status == 0, "\(echo.errors) \(serve.log)")
        // Listening on 127.0.0.1 only: another local address of the machine is not answered.
        #expect(throws: (any Error).self) { _ = try RawConnection(port: port, from: "127.0.0.1", to: "127.0.0.2") }
        // Without the node, the same file is refused, naming the file.
        let refused = try Self.lifeboat(["serve", "--config", file, "--dicom-port", "\(LoopbackPort.free())"])
        #expect(refused.status != 0 && refused.errors.contains("\(file): dicom-peers: MOVESCU may move to STORESCP, which is not in dicom-nodes"),
                "\(refused.errors)")
    }

    /// A CD's DICOMDIR named on the command line: the files it indexes are imported.
    @Test func aDICOMDIRStandsForTheFolderItIndexes() throws {
        let source = try PydicomData.directory() + "/test_files/dicomdirtests"
        let disc = Self.temporary("disc"), data = Self.temporary("disc-data")
        defer { for path in [disc, data] { try? FileManager.default.removeItem(atPath: path) } }
        try FileManager.default.createDirectory(atPath: disc, withIntermediateDirectories: true)
        for name in ["DICOMDIR", "77654033", "98892001", "98892003"] {
            try FileManager.default.copyItem(atPath: "\(source)/\(name)", toPath: "\(disc)/\(name)")
        }
        let run = try Self.lifeboat(["import", "--data", data, disc + "/DICOMDIR"])
        #expect(run.status == 0, "\(run.text)\(run.errors)")
        // pydicom's DICOMDIR test set: 31 images of 2 patients and 6 studies under those three folders.
        #expect(run.text.contains(": 31 new instances, 0 new versions of known instances, 0 already in the archive, 1 skipped, 0 refused"), "\(run.text)")
        let stats = try Self.lifeboat(["stats", "--data", data])
        #expect(stats.text.contains("2 patients, 6 studies, 13 series, 31 instances, 31 versions"), "\(stats.text)")
    }
}
