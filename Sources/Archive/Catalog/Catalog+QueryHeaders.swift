import Foundation
import GRDB

/// Series cataloged before the catalog kept query headers (migration 2) get theirs from
/// their first instance's blob, so that every series answers every query key.
extension Catalog {
    /// Series without a kept header, with the blob of their first instance's current version.
    func seriesWithoutQueryHeader(limit: Int) async throws -> [(series: Int64, blob: BlobID)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id AS series, (SELECT v.blobHash FROM instance i JOIN version v ON v.instanceRef = i.id AND v.number = i.currentVersion
                                        WHERE i.seriesRef = r.id ORDER BY i.id LIMIT 1) AS blob
                FROM series r WHERE r.attributes IS NULL LIMIT ?
                """, arguments: [limit]).compactMap { row in
                guard let hex: String = row["blob"], let blob = BlobID(hex: hex) else { return nil }
                return (row["series"], blob)
            }
        }
    }

    /// Keeps `header` for a series; an empty one marks a series whose blob could not be read.
    func keepQueryHeader(_ header: [UInt8], forSeries series: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE series SET attributes = ? WHERE id = ?", arguments: [Data(header), series])
        }
    }
}
