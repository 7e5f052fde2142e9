import GRDB

extension Catalog {
    /// Instances, versions and stored bytes under one heading (a modality, a day).
    public struct Tally: Sendable, Equatable {
        public var key: String
        public var instances: Int
        public var versions: Int
        public var bytes: Int64
    }

    /// What the archive holds by modality, largest first.
    public func tallyByModality() async throws -> [Tally] {
        try await tally(key: "se.modality", order: "bytes DESC")
    }

    /// What arrived on each day (UTC), newest first.
    public func tallyByDay() async throws -> [Tally] {
        try await tally(key: "substr(v.receivedAt, 1, 10)", order: "key DESC")
    }

    private func tally(key: String, order: String) async throws -> [Tally] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(key) AS key, count(DISTINCT v.instanceRef) AS instances, count(*) AS versions, sum(v.size) AS bytes
                FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series se ON i.seriesRef = se.id
                GROUP BY 1 ORDER BY \(order)
                """).map { Tally(key: $0["key"] ?? "", instances: $0["instances"], versions: $0["versions"], bytes: $0["bytes"]) }
        }
    }
}
