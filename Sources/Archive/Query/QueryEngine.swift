import DICOM
import Foundation
import GRDB
import Logging

/// Answers catalog queries for C-FIND and QIDO-RS: SQL narrows the rows by the keys it can,
/// `MatchKey.matches` decides on every one, and matches are handed on a page at a time,
/// newest first, so a query over the whole archive runs in bounded memory and stops as
/// soon as the caller does.
public struct QueryEngine: Sendable {
    public let catalog: Catalog
    public let blobs: any BlobStore
    /// Returned as Retrieve AE Title (0008,0054) when asked for: where to C-MOVE from.
    public var retrieveAETitle: String?
    /// How C-FIND identifiers are matched (QIDO-RS sets its own per request).
    public var options: MatchOptions
    /// Brings a blob that is missing or damaged here back from elsewhere (a target, during
    /// a restore or after a loss); true once it is in place and intact.
    public var fetchMissing: (@Sendable (BlobID) async -> Bool)?
    let logger: Logger

    static let pageSize = 256

    public init(catalog: Catalog, blobs: any BlobStore, retrieveAETitle: String? = nil, options: MatchOptions = MatchOptions(),
                logger: Logger = Logger(label: "lifeboat.query")) {
        self.catalog = catalog
        self.blobs = blobs
        self.retrieveAETitle = retrieveAETitle
        self.options = options
        self.logger = logger
    }

    /// Makes sure a blob about to be read is here, fetching it when it is not (nothing to do
    /// without `fetchMissing`).
    public func ensureLocal(_ blob: BlobID) async {
        guard let fetchMissing, (try? await blobs.contains(blob)) != true else { return }
        if await fetchMissing(blob) { logger.notice("fetched on demand", metadata: ["blob": "\(blob)"]) }
    }

    /// Calls `body` with each match's response identifier until it returns false, the
    /// matches run out, or the task is cancelled. Catalog failures throw `QueryError`;
    /// what `body` throws passes through.
    public func forEachMatch(_ query: CatalogQuery, _ body: (DataSet) async throws -> Bool) async throws {
        var skipped = 0
        var returned = 0
        try await forEachMatchingRow(query) { entity, _ in
            if skipped < query.offset {
                skipped += 1
                return true
            }
            guard try await body(response(for: entity, query: query)) else { return false }
            returned += 1
            return query.limit.map { returned < $0 } ?? true
        }
    }

    /// The entities that match, with the rows they came from, until `body` returns false.
    func forEachMatchingRow(_ query: CatalogQuery, _ body: (DataSet, QueryPlan.FetchedRow) async throws -> Bool) async throws {
        let plan = QueryPlan(query)
        // First the ids of the rows SQL lets through, newest first — a short list SQLite
        // finds by whichever index suits the keys —, then the rows a page at a time.
        let ids: [Int64] = try await read { db in try Int64.fetchAll(db, sql: plan.idSQL, arguments: StatementArguments(plan.arguments)) }
        for start in stride(from: 0, to: ids.count, by: Self.pageSize) {
            try Task.checkCancellation()
            let page = Array(ids[start..<min(start + Self.pageSize, ids.count)])
            let rows = try await read { db in
                try Row.fetchAll(db, sql: plan.rowSQL(count: page.count), arguments: StatementArguments(page)).map(QueryPlan.FetchedRow.init)
            }
            for row in rows {
                let candidate = await plan.needsHeader ? header(of: row, at: query.level) : DataSet()
                let entity = plan.entity(from: row, header: candidate)
                guard query.keys.allSatisfy({ $0.matches(entity, options: query.options) }) else { continue }
                guard try await body(entity, row) else { return }
            }
        }
    }

    private func read<T: Sendable>(_ work: @Sendable @escaping (Database) throws -> T) async throws(QueryError) -> T {
        do {
            return try await catalog.pool.read(work)
        } catch {
            throw QueryError(.unableToProcess, "the catalog failed: \(error)")
        }
    }

    /// The stored instances under the entities a query matches (its keys applied at image
    /// level), in the order they were received: what a retrieve sends.
    public func storedInstances(matching query: CatalogQuery) async throws -> [StoredInstance] {
        var imageQuery = query
        imageQuery.level = .image
        var found: [StoredInstance] = []
        try await forEachMatchingRow(imageQuery) { entity, row in
            guard let hex = row.blobHash, let blob = BlobID(hex: hex), let sopClass = entity.uid(.sopClassUID),
                  let instance = entity.uid(.sopInstanceUID) else { return true }
            found.append(StoredInstance(sopClassUID: sopClass, sopInstanceUID: instance, transferSyntaxUID: entity.uid(Tag.availableTransferSyntaxUID) ?? "",
                                        studyInstanceUID: entity.uid(.studyInstanceUID) ?? "", seriesInstanceUID: entity.uid(.seriesInstanceUID) ?? "",
                                        blob: blob, path: blobs.localPath(of: blob)))
            return true
        }
        // During a restore (or after a loss), the files not yet here are fetched first, eight at a time.
        if fetchMissing != nil {
            for start in stride(from: 0, to: found.count, by: 8) {
                await withTaskGroup(of: Void.self) { group in
                    for instance in found[start..<min(start + 8, found.count)] { group.addTask { await ensureLocal(instance.blob) } }
                }
            }
        }
        return found.reversed()
    }

    /// All matches at once: for small answers and tests.
    public func matches(_ query: CatalogQuery) async throws -> [DataSet] {
        var all: [DataSet] = []
        try await forEachMatch(query) { match in
            all.append(match)
            return true
        }
        return all
    }

    /// The attributes beyond the columns: an instance's own header from its blob, else the
    /// header the catalog keeps for the (first) series.
    private func header(of row: QueryPlan.FetchedRow, at level: QueryLevel) async -> DataSet {
        if level == .image, let hex = row.blobHash, let id = BlobID(hex: hex), let file = try? await blobs.readHeader(id) {
            return QueryHeader.normalized(file.dataSet)
        }
        guard let bytes = row.header else { return DataSet() }
        return QueryHeader.decode(Array(bytes))
    }

    /// The response identifier (PS3.4 C.4.1.1.3.2): every key with the entity's value, or
    /// empty when it has none; the level; the level's unique key even when not asked for.
    func response(for entity: DataSet, query: CatalogQuery) -> DataSet {
        var response = query.includeAll ? entity : DataSet()
        response[.specificCharacterSet] = nil
        response[Tag.queryRetrieveLevel] = DataElement(tag: Tag.queryRetrieveLevel, vr: .CS, strings: [query.level.rawValue])
        for key in query.keys {
            if key.tag == Tag.retrieveAETitle, let retrieveAETitle {
                response[key.tag] = DataElement(tag: key.tag, vr: .AE, strings: [retrieveAETitle])
            } else if key.tag == Tag.instanceAvailability {
                response[key.tag] = DataElement(tag: key.tag, vr: .CS, strings: ["ONLINE"])
            } else if let element = entity[key.tag] {
                response[key.tag] = element
            } else {
                response[key.tag] = key.vr == .SQ ? DataElement(tag: key.tag, items: []) : DataElement(tag: key.tag, vr: key.vr, bytes: [])
            }
        }
        let unique = query.level.uniqueKey
        if response[unique] == nil, let element = entity[unique] { response[unique] = element }
        if Self.hasNonASCIIText(response) {
            // Every text the catalog holds is UTF-8 (QueryHeader), so one character set says it all.
            response[.specificCharacterSet] = QueryHeader.utf8Declaration
        }
        return response
    }

    private static func hasNonASCIIText(_ dataSet: DataSet) -> Bool {
        dataSet.contains { element in
            if let items = element.sequenceItems { return items.contains { hasNonASCIIText($0.dataSet) } }
            return element.valueVR.usesSpecificCharacterSet && (element.bytes?.contains { $0 >= 0x80 } ?? false)
        }
    }
}

/// An instance's current version, as a retrieve needs it.
public struct StoredInstance: Sendable, Equatable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var transferSyntaxUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var blob: BlobID
    /// Its local Part 10 file, where the blob store keeps one.
    public var path: String?
}

/// The SQL of one query and how its rows become entities to match.
struct QueryPlan: Sendable {
    /// The ids of the rows the SQL conditions let through, newest first.
    let idSQL: String
    let arguments: [DatabaseValue]
    /// Everything matching needs of the rows with the ids bound.
    private let select: String
    private let from: String
    private let rowID: String
    let columns: [QueryColumn]
    let needsHeader: Bool

    init(_ query: CatalogQuery) {
        let available = QueryColumn.available(at: query.level)
        columns = available.values.sorted { $0.tag < $1.tag }
        let provided: Set<Tag> = [Tag.retrieveAETitle, Tag.instanceAvailability]
        needsHeader = query.includeAll || query.keys.contains { available[$0.tag] == nil && !provided.contains($0.tag) }
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        for key in query.keys {
            guard let column = available[key.tag], let condition = column.condition(for: key, options: query.options) else { continue }
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        let (from, rowID, header) = Self.source(of: query.level)
        var select = columns.enumerated().map { "\($1.sql) AS c\($0)" }
        if needsHeader { select.append("\(header) AS header") }
        if query.level == .image { select.append("v.blobHash AS blobHash") }
        self.select = select.joined(separator: ", ")
        self.from = from
        self.rowID = rowID
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        idSQL = "SELECT \(rowID) FROM \(from)\(filter) ORDER BY \(rowID) DESC"
        self.arguments = arguments.map(\.databaseValue)
    }

    func rowSQL(count: Int) -> String {
        "SELECT \(select) FROM \(from) WHERE \(rowID) IN (\(Array(repeating: "?", count: count).joined(separator: ", "))) ORDER BY \(rowID) DESC"
    }

    /// The tables a level's rows come from, the id that orders them (newest first), and the
    /// kept header that stands for the entity.
    private static func source(of level: QueryLevel) -> (from: String, rowID: String, header: String) {
        let patient = "JOIN patient p ON s.patientRef = p.id"
        switch level {
        case .patient:
            return ("patient p", "p.id", """
                (SELECT r2.attributes FROM study s2 JOIN series r2 ON r2.studyRef = s2.id WHERE s2.patientRef = p.id ORDER BY r2.id LIMIT 1)
                """)
        case .study:
            return ("study s \(patient)", "s.id", "(SELECT attributes FROM series WHERE studyRef = s.id ORDER BY id LIMIT 1)")
        case .series:
            return ("series r JOIN study s ON r.studyRef = s.id \(patient)", "r.id", "r.attributes")
        case .image:
            return ("""
                instance i JOIN series r ON i.seriesRef = r.id JOIN study s ON r.studyRef = s.id \(patient)
                JOIN version v ON v.instanceRef = i.id AND v.number = i.currentVersion
                """, "i.id", "r.attributes")
        }
    }

    /// A row as read, in values that may leave the database connection.
    struct FetchedRow: Sendable {
        let values: [DatabaseValue]
        let header: Data?
        let blobHash: String?

        init(_ row: Row) {
            values = Array(row.databaseValues)
            header = row["header"]
            blobHash = row["blobHash"]
        }
    }

    /// An entity as matching sees it: the kept header, overlaid by the catalog's columns.
    func entity(from row: FetchedRow, header: DataSet) -> DataSet {
        var entity = header
        // The columns hold text as Swift strings, written out here in UTF-8.
        entity[.specificCharacterSet] = QueryHeader.utf8Declaration
        for (index, column) in columns.enumerated() {
            let value = row.values[index]
            if column.isInteger {
                let number = Int.fromDatabaseValue(value)
                entity[column.tag] = number.map { DataElement(tag: column.tag, vr: column.vr, strings: [String($0)]) }
            } else {
                let text = String.fromDatabaseValue(value) ?? ""
                let values = column.isMultiValued ? text.split(separator: "\\").map(String.init) : [text]
                entity[column.tag] = text.isEmpty ? nil : DataElement(tag: column.tag, vr: column.vr, strings: values)
            }
        }
        return entity
    }
}
