import Foundation

/// What a failback did, study by study: what was missing at the PACS, what was sent, what the
/// PACS confirmed (by Storage Commitment, or by query where it offers none), what it refused and why.
public struct FailbackReport: Codable, Sendable, Equatable {
    public struct Refusal: Codable, Sendable, Equatable {
        public var sopInstanceUID: String
        /// The C-STORE status, e.g. "0xA900"; nil when the instance never reached the PACS.
        public var status: String?
        public var reason: String
    }

    /// How the PACS's holding of what was sent was established.
    public enum Confirmation: String, Codable, Sendable {
        /// An N-EVENT-REPORT committed it (PS3.4 J.3).
        case storageCommitment = "storage-commitment"
        /// The PACS offers no Storage Commitment: an IMAGE-level C-FIND found it.
        case query
        /// Nothing was sent, so nothing needed confirming.
        case none
    }

    public struct Study: Codable, Sendable, Equatable {
        public var studyInstanceUID: String
        public var lastReceivedAt: Date
        /// Acquired during the downtime: sent before the rest.
        public var duringDowntime: Bool
        public var missing: Int
        public var sent: Int
        public var bytes: Int
        public var confirmed: Int
        public var confirmedBy: Confirmation
        public var refused: [Refusal]
        /// Sent but not confirmed (the report said failed, or it never came), and why.
        public var unconfirmed: [Refusal]
        /// Sent decoded, the PACS taking their SOP class only uncompressed: how each copy was
        /// made (`UncompressedCopy.summary`), by SOP Instance UID. Absent in earlier reports.
        public var transcoded: [String: String]?

        public var isComplete: Bool { refused.isEmpty && unconfirmed.isEmpty && confirmed == missing }
    }

    public var node: String
    public var startedAt: Date
    public var endedAt: Date
    /// Studies compared with the PACS, and of them those it already held whole.
    public var studiesCompared: Int
    public var studiesAlreadyHeld: Int
    /// The studies it lacked something of, in the order they were sent.
    public var studies: [Study]

    public var instancesMissing: Int { studies.reduce(0) { $0 + $1.missing } }
    public var instancesSent: Int { studies.reduce(0) { $0 + $1.sent } }
    public var instancesConfirmed: Int { studies.reduce(0) { $0 + $1.confirmed } }
    public var instancesRefused: Int { studies.reduce(0) { $0 + $1.refused.count } }
    public var instancesUnconfirmed: Int { studies.reduce(0) { $0 + $1.unconfirmed.count } }
    public var instancesTranscoded: Int { studies.reduce(0) { $0 + ($1.transcoded?.count ?? 0) } }
    public var bytesSent: Int { studies.reduce(0) { $0 + $1.bytes } }
    public var isComplete: Bool { studies.allSatisfy(\.isComplete) }

    /// A few lines for the terminal.
    public var summary: String {
        let seconds = endedAt.timeIntervalSince(startedAt)
        let rate = seconds > 0 ? Double(bytesSent) / 1e6 / seconds : 0
        var lines = [
            "failback to \(node): \(studiesCompared) studies compared, \(studiesAlreadyHeld) already held, \(studies.count) lacking instances",
            "\(instancesMissing) instances missing, \(instancesSent) sent (\(String(format: "%.1f", Double(bytesSent) / 1e6)) MB in "
                + "\(String(format: "%.1f", seconds)) s, \(String(format: "%.1f", rate)) MB/s), \(instancesConfirmed) confirmed, "
                + "\(instancesRefused) refused, \(instancesUnconfirmed) sent but not confirmed",
        ]
        if instancesTranscoded > 0 {
            lines.append("\(instancesTranscoded) sent decoded: the PACS takes their SOP class only uncompressed (stored copies unchanged)")
        }
        for study in studies where !study.isComplete {
            for refusal in study.refused {
                lines.append("  refused \(refusal.sopInstanceUID) (study \(study.studyInstanceUID))\(refusal.status.map { " \($0)" } ?? ""): \(refusal.reason)")
            }
            for problem in study.unconfirmed {
                lines.append("  not confirmed \(problem.sopInstanceUID) (study \(study.studyInstanceUID)): \(problem.reason)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Why a failback could not go on.
public enum FailbackError: Error, Sendable, Equatable, CustomStringConvertible {
    case queryFailed(String)
    case unreachable(String)

    public var description: String {
        switch self {
        case .queryFailed(let why): "the PACS could not be compared: \(why)"
        case .unreachable(let why): "the PACS cannot be reached: \(why)"
        }
    }
}
