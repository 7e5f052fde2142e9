import Foundation
import Testing

/// The test files pydicom ships, and pydicom's own reading of them, via the
/// helper script next to these tests. The README's test command installs pydicom.
enum Pydicom {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Helpers/pydicom_view.py").path

    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Unavailable(description: "python3 \(arguments.first ?? "") failed (is pydicom installed? Scripts/test.sh installs it): \(errorText)")
        }
        return data
    }

    /// pydicom's data directory: test_files/ and charset_files/.
    static func dataDirectory() throws -> String {
        let data = try run(["-c", "import os, pydicom; print(os.path.join(os.path.dirname(pydicom.__file__), 'data'))"])
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every file under test_files/ and charset_files/, relative to the data directory.
    static func corpus() throws -> (root: String, files: [String]) {
        let root = try dataDirectory()
        var files: [String] = []
        for folder in ["test_files", "charset_files"] {
            let enumerator = FileManager.default.enumerator(atPath: "\(root)/\(folder)")
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(root)/\(folder)/\(name)", isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append("\(folder)/\(name)")
                }
            }
        }
        return (root, files.sorted())
    }

    /// pydicom's reading of each file, keyed by the relative name.
    static func views(root: String, files: [String]) throws -> [String: [String: Any]] {
        let data = try run([helper, root] + files)
        guard let views = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw Unavailable(description: "the pydicom helper printed something other than a JSON object")
        }
        return views
    }
}
