import Archive
import Foundation
import Replication

/// Puts bad copies right from good ones: a local blob from a target's copy (checked against
/// its name before it replaces anything), a target's copy from the local blob.
public struct Healer: Sendable {
    public let blobs: any BlobStore
    /// Where copies are staged on their way in (or out, for a store with no local files).
    public let staging: String
    public let catalog: Catalog
    /// Which targets confirmed which copies.
    public let replicas: any ReplicationStore
    public let targets: [any ReadableTarget]

    public init(blobs: any BlobStore, staging: String, catalog: Catalog, replicas: any ReplicationStore, targets: [any ReadableTarget]) {
        self.blobs = blobs
        self.staging = staging
        self.catalog = catalog
        self.replicas = replicas
        self.targets = targets
    }

    public enum Outcome: Sendable, Equatable {
        /// Put right with the good bytes from this place ("local" or a target).
        case healed(from: String)
        /// Every place answered and none holds a good copy: the instance is lost unless found elsewhere.
        case noGoodCopy
        /// A place could not be asked (a target down, a local disk error): tried again on the next pass.
        case failed(String)
    }

    /// Fetches the blob from the targets — those that confirmed a copy first — and puts the
    /// first copy that hashes to its name in place of the local one.
    public func healLocal(_ blob: BlobID, skipping skipped: String? = nil) async -> Outcome {
        let confirmed = (try? await replicas.replicaTargets(of: blob)) ?? []
        var failures: [String] = []
        for target in targets.sorted(by: { confirmed.contains($0.name) && !confirmed.contains($1.name) }) where target.name != skipped {
            do {
                guard let staged = try await target.fetch(blob, into: staging) else { continue }
                guard staged.id == blob else {
                    staged.discard()
                    continue
                }
                try await blobs.heal(with: staged)
                return .healed(from: target.name)
            } catch {
                failures.append("\(target.name): \(error)")
            }
        }
        return failures.isEmpty ? .noGoodCopy : .failed(failures.joined(separator: "; "))
    }

    /// Replaces a target's bad copy with the local blob — healing that first from another
    /// target when it is bad too.
    public func healRemote(_ item: ScrubItem, at target: any ReadableTarget) async -> Outcome {
        var source = "local"
        do {
            if try await CopyCheck.local(item, in: blobs) != nil {
                switch await healLocal(item.blob, skipping: target.name) {
                case .healed(let from): source = from
                case let other: return other
                }
            }
        } catch {
            return .failed("local: \(error)")
        }
        // The target takes a file: the blob's own, or a checked copy of it where the store keeps none.
        let file: BlobFile
        do {
            file = try await blobs.file(of: item.blob, staging: staging)
        } catch {
            return .failed("local: \(error)")
        }
        defer { file.discard() }
        let local = OutboundBlob(blob: item.blob, path: file.path, size: item.size, sopClassUID: item.sopClassUID, sopInstanceUID: item.sopInstanceUID,
                                 transferSyntaxUID: item.transferSyntaxUID, studyInstanceUID: item.studyInstanceUID)
        do {
            try await target.repair(with: local)
            return .healed(from: source)
        } catch {
            return .failed("\(target.name): \(error)")
        }
    }
}
