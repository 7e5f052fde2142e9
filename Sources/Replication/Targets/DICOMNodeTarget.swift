import Archive
import DICOM
import DICOMNetwork
import Foundation
import Logging

/// Any DICOM node — another PACS, a VNA — by C-STORE: a batch goes over one association,
/// each file checked against its SHA-256 just before it is sent.
public struct DICOMNodeTarget: ReplicationTarget {
    public let name: String
    public let node: DICOMNode
    let sender: FileSender
    /// The store the files come from, which checks them.
    let local: any BlobStore

    public init(name: String, node: DICOMNode, callingAETitle: AETitle, local: any BlobStore, concurrency: Int = 1) {
        self.name = name
        self.node = node
        self.local = local
        self.concurrency = concurrency
        sender = FileSender(configuration: .init(host: node.host, port: node.port, callingAETitle: callingAETitle, calledAETitle: node.aeTitle))
    }

    public var keepsManifests: Bool { false }
    /// Associations at once (by default one: many PACS allow few per AE), each carrying a batch.
    public let concurrency: Int
    public var batchSize: Int { 32 }

    public func put(_ blobs: [OutboundBlob]) async -> [Result<Void, ReplicationError>] {
        let byPath = Dictionary(blobs.map { ($0.path, $0) }) { first, _ in first }
        let local = self.local
        let outcomes = await sender.send(blobs.map(\.path), check: { path in
            guard let blob = byPath[path] else { return nil }
            return await Self.check(blob, in: local)
        })
        let decoded = outcomes.filter { $0.succeeded && $0.transcoded != nil }
        if let first = decoded.first?.transcoded {
            // Stored copies stay as received; what the node got is said where the administrator looks.
            Logger(label: "lifeboat.replication").notice("sent decoded: the node takes their SOP class only uncompressed", metadata: [
                "target": "\(name)", "instances": "\(decoded.count)", "first": "\(first)",
            ])
        }
        let byOutcome = Dictionary(outcomes.map { ($0.path, $0) }) { first, _ in first }
        return blobs.map { blob in
            guard let outcome = byOutcome[blob.path] else { return .failure(.transient("\(name): stopped before \(blob.sopInstanceUID) was sent")) }
            return Self.result(of: outcome, name: name, blob: blob)
        }
    }

    /// Zero-loss invariant 3: the file must still hash to its name.
    static func check(_ blob: OutboundBlob, in local: any BlobStore) async -> String? {
        do {
            guard try await local.verify(blob.blob) else { return "the local copy does not match its SHA-256: not sent" }
            return nil
        } catch {
            return "the local copy cannot be read: \(error)"
        }
    }

    /// Success and warning statuses put the instance there. A refusal of the instance itself
    /// (PS3.4 B.2.3: A9xx, Cxxx) is permanent; out of resources (A7xx), no association or a
    /// broken one is tried again.
    static func result(of outcome: FileSender.Outcome, name: String, blob: OutboundBlob) -> Result<Void, ReplicationError> {
        if outcome.succeeded { return .success(()) }
        guard let status = outcome.status else {
            let problem = outcome.problem ?? "no response"
            if problem.hasPrefix("the local copy") || outcome.unsendable { return .failure(.permanent("\(blob.sopInstanceUID): \(problem)")) }
            return .failure(.transient("\(name): \(problem)"))
        }
        let comment = outcome.problem.map { ": \($0)" } ?? ""
        if status.rawValue & 0xFF00 == 0xA700 { return .failure(.transient("\(name) is out of resources (\(status))\(comment)")) }
        return .failure(.permanent("\(name) refused \(blob.sopInstanceUID) with status \(status)\(comment)"))
    }
}
