import ArgumentParser
import DICOM
import Foundation

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the elements of DICOM files, like dcmdump.",
        discussion: """
            Files without a preamble or file meta information are read too, unless --strict.
            Binary values of 1 KiB or more are not loaded; --json refers to them by a
            file URI with their byte offset and length.

            Examples:
              lifeboat dump CT1.dcm
              lifeboat dump --json --strict CT1.dcm > CT1.json
            """
    )

    @Flag(help: "Print the DICOM JSON model (PS3.18 F.2) instead of a listing.")
    var json = false

    @Flag(help: "Refuse anything but a well-formed Part 10 file.")
    var strict = false

    @Flag(help: "Stop before the pixel data, as ingest does.")
    var headerOnly = false

    @Argument(help: "The files to print.")
    var files: [String]

    func run() throws {
        var failures = 0
        for path in files {
            do {
                let options = ReadOptions(mode: strict ? .strict : .lenient, stopBeforePixelData: headerOnly, bulkDataThreshold: 1024)
                let file = try DICOMFile(path: path, options: options)
                if files.count > 1 && !json { print("# File: \(path)") }
                print(json ? try jsonText(file, path: path) : DumpFormatter().format(file), terminator: json ? "\n" : "")
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("lifeboat dump: \(path): \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func jsonText(_ file: DICOMFile, path: String) throws -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let encoder = DICOMJSONEncoder(bulkDataThreshold: 1024) { location in
            guard let reference = location.reference else { return nil }
            return "file://\(absolute)?offset=\(reference.offset)&length=\(reference.length)"
        }
        return try encoder.encode(file.dataSet).serialized(pretty: true)
    }
}
