import Foundation
import TestSupport

/// pydicom's own reading of its test files, via the helper script next to these tests.
enum Pydicom {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Helpers/pydicom_view.py").path

    static func corpus() throws -> (root: String, files: [String]) { try PydicomData.corpus() }

    static func run(_ arguments: [String]) throws -> Data {
        try Subprocess.succeed("python3", arguments, hint: "is pydicom installed? Scripts/test.sh installs it").output
    }

    /// pydicom's reading of each file, keyed by the relative name.
    static func views(root: String, files: [String]) throws -> [String: [String: Any]] {
        let data = try run([helper, root] + files)
        guard let views = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw Subprocess.Failure(description: "the pydicom helper printed something other than a JSON object")
        }
        return views
    }
}
