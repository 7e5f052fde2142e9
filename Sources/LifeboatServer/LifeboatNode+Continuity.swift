import Archive
import Continuity
import DICOMNetwork
import Foundation
import Security

/// The continuity side of a node's wiring: failback to a restored PACS.
extension LifeboatNode {
    /// A failback from the configuration's data directory to `node` — an AE title from
    /// dicom-nodes, or AE@host:port —, each study sent recorded in the audit trail.
    public func failback(to node: String, downtime: [DateInterval], concurrency: Int, commitTimeout: Duration,
                         actor: String) throws -> (Failback, AuditLog) {
        guard let title = AETitle(validating: configuration.aeTitle) else {
            throw ConfigurationError("ae-title \"\(configuration.aeTitle)\" is not an AE title")
        }
        guard let destination = configuration.dicomNodes.first(where: { $0.aeTitle.value == node }) ?? DICOMNode(node) else {
            let known = configuration.dicomNodes.map(\.aeTitle.value).joined(separator: ", ")
            throw ConfigurationError("\(node) is neither in dicom-nodes (\(known.isEmpty ? "none configured" : known)) nor AE@host:port")
        }
        let archive = try LocalArchive(root: configuration.data)
        let audit = try NodeSecurity(data: configuration.data).audit
        let failback = Failback(catalog: archive.catalog, blobs: archive.blobs,
                                options: .init(node: destination, callingAETitle: title, downtime: downtime, concurrency: concurrency,
                                               commitTimeout: commitTimeout))
        return (failback, audit)
    }

    /// The audit record of one study given back: an export to the PACS (DCM 110106).
    public static func recordFailback(_ study: FailbackReport.Study, to node: String, in audit: AuditLog, actor: String) async throws {
        _ = try await audit.record(.init(.export, succeeded: study.isComplete, actor: actor, source: "local", subject: "study=\(study.studyInstanceUID)",
                         detail: "failback to \(node): \(study.sent) of \(study.missing) sent, \(study.confirmed) confirmed (\(study.confirmedBy.rawValue)), "
                             + "\(study.refused.count) refused"))
    }
}
