import Foundation
import GRDB

/// A study as failback weighs it: when it last grew, and how many instances it holds here.
public struct FailbackStudy: Sendable, Equatable {
    public var studyInstanceUID: String
    public var lastReceivedAt: Date
    public var numberOfInstances: Int
    public var numberOfSeries: Int
}

/// One instance failback may send: its newest version's blob.
public struct FailbackInstance: Sendable, Equatable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var seriesInstanceUID: String
    public var blob: BlobID
    public var size: Int
}

extension Catalog {
    /// The studies that last grew at or after `since` (every study when nil), newest first.
    public func failbackStudies(since: Date? = nil) async throws -> [FailbackStudy] {
        let bound = since.map { Self.timestamp.format($0) } ?? ""
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT studyInstanceUID, lastReceivedAt, numberOfInstances, numberOfSeries FROM study
                WHERE lastReceivedAt >= ? ORDER BY lastReceivedAt DESC
                """, arguments: [bound]).compactMap { row -> FailbackStudy? in
                guard let last = try? Self.timestamp.parse(row["lastReceivedAt"]) else { return nil }
                return FailbackStudy(studyInstanceUID: row["studyInstanceUID"], lastReceivedAt: last,
                                     numberOfInstances: row["numberOfInstances"], numberOfSeries: row["numberOfSeries"])
            }
        }
    }

    /// A study's instances, each with the blob of its newest version, in series and instance order.
    public func failbackInstances(study: String) async throws -> [FailbackInstance] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.sopInstanceUID, i.sopClassUID, r.seriesInstanceUID, v.blobHash, v.size
                FROM study s JOIN series r ON r.studyRef = s.id JOIN instance i ON i.seriesRef = r.id
                     JOIN version v ON v.instanceRef = i.id AND v.number = i.currentVersion
                WHERE s.studyInstanceUID = ? ORDER BY r.seriesNumber, r.id, i.instanceNumber, i.id
                """, arguments: [study]).compactMap { row -> FailbackInstance? in
                guard let blob = BlobID(hex: row["blobHash"]) else { return nil }
                return FailbackInstance(sopInstanceUID: row["sopInstanceUID"], sopClassUID: row["sopClassUID"],
                                        seriesInstanceUID: row["seriesInstanceUID"], blob: blob, size: row["size"])
            }
        }
    }

    /// The SOP class each of these instances is recorded with; an instance not held is absent.
    public func sopClasses(of instances: [String]) async throws -> [String: String] {
        try await pool.read { db in
            var classes: [String: String] = [:]
            // SQLite's limit on bound parameters: 500 at a time is well within it.
            for start in stride(from: 0, to: instances.count, by: 500) {
                let chunk = Array(instances[start..<min(start + 500, instances.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT sopInstanceUID, sopClassUID FROM instance WHERE sopInstanceUID IN (\(marks))",
                                            arguments: StatementArguments(chunk)) {
                    classes[row["sopInstanceUID"]] = row["sopClassUID"]
                }
            }
            return classes
        }
    }
}
