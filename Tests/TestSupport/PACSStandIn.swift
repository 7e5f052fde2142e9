import DICOM
import Foundation

/// A PACS stand-in (Helpers/pacs_standin.py, pynetdicom): storage, study-root C-FIND and
/// Storage Commitment SCP over the Part 10 files in its directory — what it holds when it
/// starts is what a restored PACS holds.
public final class PACSStandIn: Sendable {
    public static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/pacs_standin.py").path
    public let port: Int
    public let aeTitle: String
    public let directory: String
    let process: BackgroundProcess

    /// Starts it on `port` (a free one when nil) over `directory` (created).
    /// `exitAfter`: it dies once it has written that many instances, before answering the last.
    /// `reportTo` ("AE@host:port"): commitment reports go there, on an association of its own
    /// opened once the requesting one has ended — as most PACSs do —, not on the request's.
    /// `uncompressedOnly`: images are taken only in Explicit or Implicit VR Little Endian.
    public init(port: Int? = nil, aeTitle: String = "PACS", directory: String, commitment: Bool = true, refusing: [String] = [],
                exitAfter: Int? = nil, reportTo: String? = nil, uncompressedOnly: Bool = false) async throws {
        self.port = port ?? LoopbackPort.free()
        self.aeTitle = aeTitle
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var arguments = ["python3", Self.helper, String(self.port), aeTitle, directory]
        if !commitment { arguments.append("--no-commitment") }
        for instance in refusing { arguments += ["--refuse", instance] }
        if let exitAfter { arguments += ["--exit-after", String(exitAfter)] }
        if let reportTo { arguments += ["--report-to", reportTo] }
        if uncompressedOnly { arguments.append("--uncompressed-only") }
        process = try BackgroundProcess("/usr/bin/env", arguments)
        try await LoopbackPort.waitUntilListening(self.port)
    }

    /// The PACS goes down.
    public func stop() { process.stop() }

    public var log: String { process.log }

    /// What it received, in order: (study, SOP instance).
    public func received() -> [(study: String, instance: String)] {
        let text = (try? String(contentsOfFile: directory + "/received.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count == 3 ? (String(fields[1]), String(fields[2])) : nil
        }
    }

    /// The services it gave, in order, each with the number of the association that carried it
    /// (1 for the first association): "associate", "store", "find", "commit", "report" (a
    /// commitment report sent on an association of its own; "report-failed" when it could not be).
    public func services() -> [(association: Int, service: String)] {
        let text = (try? String(contentsOfFile: directory + "/services.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count == 2 ? Int(fields[0]).map { ($0, String(fields[1])) } : nil
        }
    }

    /// The studies in the order their first instance arrived.
    public func studyOrder() -> [String] {
        var seen: [String] = []
        for (study, _) in received() where !seen.contains(study) { seen.append(study) }
        return seen
    }

    /// The SOP Instance UIDs it holds.
    public func held() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(names.filter { $0.hasSuffix(".dcm") }.map { String($0.dropLast(4)) })
    }

    /// The data set bytes of an instance it holds, as received.
    public func dataSetBytes(_ instance: String) throws -> [UInt8] { try Self.dataSetBytes(of: "\(directory)/\(instance).dcm") }

    /// The bytes of a Part 10 file after its meta group.
    public static func dataSetBytes(of path: String) throws -> [UInt8] {
        let header = try DICOMFile(path: path, options: .headerOnly)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        return Array(bytes.dropFirst(132 + header.fileMeta.encodedLength(explicitVR: true)))
    }
}
