import Archive
import Foundation

extension StudyManifest {
    /// The manifest as written to a target: JSON with sorted keys, one attribute a line.
    public func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and numbers cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }
}
