import Foundation

/// Where a run's evidence is kept: `<folder>/<when it started>-<name>.<extension>`, the time
/// in ISO 8601 without the colons a file name should not carry, so that a folder lists its
/// runs in the order they were made.
public struct EvidenceFile: Sendable {
    public let folder: String
    private let stem: String

    public init(folder: String, startedAt: Date, name: String) {
        self.folder = folder
        stem = ISO8601DateFormatter().string(from: startedAt).replacingOccurrences(of: ":", with: "") + "-" + name
    }

    public func path(_ pathExtension: String) -> String { "\(folder)/\(stem).\(pathExtension)" }
}
