import Foundation
import NIOCore

/// A versioned bucket (object lock turns versioning on) keeps every version of a key: what
/// a target held at a given moment can be read back even after it was overwritten.
extension S3Client {
    /// One version of an object, or a delete marker.
    public struct ObjectVersion: Sendable, Equatable {
        public var key: String
        public var versionID: String
        public var lastModified: Date
        public var size: Int
        public var isLatest: Bool
        public var isDeleteMarker: Bool
    }

    /// Every version under `prefix` (ListObjectVersions), all pages, newest first for each key;
    /// with `after`, only those of keys that sort after it (a change log read from a moment on).
    public func versions(prefix: String, after key: String? = nil) async throws(S3Error) -> [ObjectVersion] {
        var all: [ObjectVersion] = []
        var markers: (key: String, version: String?)? = key.map { ($0, nil) }
        repeat {
            var query: [(name: String, value: String)] = [("versions", ""), ("prefix", prefix)]
            if let markers {
                query.append(("key-marker", markers.key))
                if let version = markers.version { query.append(("version-id-marker", version)) }
            }
            let response = try await send("GET", key: "", query: query, collectUpTo: 64 << 20)
            guard let root = S3XML.parse(Array(response.body.readableBytesView)) else {
                throw S3Error(status: 200, code: "MalformedResponse", message: "the versions of \(prefix) are not XML")
            }
            for element in root.children where element.name == "Version" || element.name == "DeleteMarker" {
                guard let key = element["Key"]?.text, let id = element["VersionId"]?.text,
                      let modified = element["LastModified"]?.text, let date = Self.date(modified) else { continue }
                all.append(ObjectVersion(key: key, versionID: id, lastModified: date, size: Int(element["Size"]?.text ?? "") ?? 0,
                                         isLatest: element["IsLatest"]?.text == "true", isDeleteMarker: element.name == "DeleteMarker"))
            }
            let truncated = root["IsTruncated"]?.text == "true"
            markers = truncated ? (root["NextKeyMarker"]?.text ?? "", root["NextVersionIdMarker"]?.text) : nil
        } while markers != nil
        return all.sorted { ($0.key, $1.lastModified) < ($1.key, $0.lastModified) }
    }

    /// The versions current at `moment`: for each key, its newest version written at or before
    /// then, unless that was a delete marker.
    public func versions(prefix: String, asOf moment: Date, after key: String? = nil) async throws(S3Error) -> [ObjectVersion] {
        var current: [String: ObjectVersion] = [:]
        for version in try await versions(prefix: prefix, after: key) where version.lastModified <= moment {
            if current[version.key] == nil { current[version.key] = version }
        }
        return current.values.filter { !$0.isDeleteMarker }.sorted { $0.key < $1.key }
    }

    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
