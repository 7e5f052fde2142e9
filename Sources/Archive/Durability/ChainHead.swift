import Foundation

/// The newest record of a hash-chained log (the audit trail): its number and hash, as copied
/// off the node so that a log rewritten here afterwards no longer contains it.
public struct ChainHead: Codable, Sendable, Equatable {
    public var sequence: Int
    public var hash: String
    /// Where and when it was taken.
    public var node: String
    public var time: String

    public init(sequence: Int, hash: String, node: String, time: Date = Date()) {
        self.sequence = sequence
        self.hash = hash
        self.node = node
        self.time = time.ISO8601Format()
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return (try? encoder.encode(self)) ?? Data()
    }
}
