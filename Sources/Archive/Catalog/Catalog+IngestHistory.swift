import Foundation
import GRDB

/// What arrived in one hour (UTC) of one modality: the measured ingest history.
public struct IngestHour: Sendable, Equatable {
    /// The hour's start.
    public var hour: Date
    public var modality: String
    public var studies: Int
    public var instances: Int
    public var bytes: Int64

    public init(hour: Date, modality: String, studies: Int, instances: Int, bytes: Int64) {
        self.hour = hour
        self.modality = modality
        self.studies = studies
        self.instances = instances
        self.bytes = bytes
    }
}

extension Catalog {
    /// Every version received at or after `since`, by hour and modality, oldest first.
    public func ingestHistory(since: Date) async throws -> [IngestHour] {
        let hourStart = Date.ISO8601FormatStyle()
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT substr(v.receivedAt, 1, 13) AS hour, r.modality, count(DISTINCT r.studyRef) AS studies, count(*) AS instances,
                       sum(v.size) AS bytes
                FROM version v JOIN instance i ON v.instanceRef = i.id JOIN series r ON i.seriesRef = r.id
                WHERE v.receivedAt >= ? GROUP BY 1, 2 ORDER BY 1, 2
                """, arguments: [Self.timestamp.format(since)]).compactMap { row in
                guard let hour = try? hourStart.parse((row["hour"] as String) + ":00:00Z") else { return nil }
                return IngestHour(hour: hour, modality: row["modality"], studies: row["studies"], instances: row["instances"], bytes: row["bytes"])
            }
        }
    }
}
