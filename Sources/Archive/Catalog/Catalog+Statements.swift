import GRDB

/// The statements that record an instance's attributes, derived once from
/// `CatalogAttribute.all`: each level's INSERT names its columns in the table's order, and
/// its arguments (`arguments(_:_:)`) follow the same order.
extension Catalog {
    enum Statements {
        static let patientAttributes = CatalogAttribute.at(.patient)
        static let studyAttributes = CatalogAttribute.at(.study)
        static let seriesAttributes = CatalogAttribute.at(.series)
        static let instanceAttributes = CatalogAttribute.at(.image)

        /// The newest instance's demographics win, but an empty (type 2, unknown) one does not
        /// erase what another instance said: a report without a birth date keeps the banner's.
        static let patient: String = {
            let (names, marks) = CatalogAttribute.columns(patientAttributes)
            let identity: Set = ["patientID", "issuerOfPatientID"]
            let updates = patientAttributes.map(\.column).filter { !identity.contains($0) }
                .map { "\($0) = coalesce(nullif(excluded.\($0), ''), \($0))" }
            return """
                INSERT INTO patient (\(names), anonymousKey) VALUES (\(marks), ?)
                ON CONFLICT (patientID, issuerOfPatientID, anonymousKey) DO UPDATE SET \(updates.joined(separator: ", "))
                RETURNING id
                """
        }()

        static let study: String = {
            let (names, marks) = CatalogAttribute.columns(studyAttributes)
            return """
                INSERT INTO study (\(names), patientRef, lastReceivedAt) VALUES (\(marks), ?, ?)
                ON CONFLICT (studyInstanceUID) DO UPDATE SET lastReceivedAt = excluded.lastReceivedAt
                RETURNING id
                """
        }()

        static let series: String = {
            let (names, marks) = CatalogAttribute.columns(seriesAttributes)
            return "INSERT INTO series (\(names), studyRef, attributes) VALUES (\(marks), ?, ?) RETURNING id"
        }()

        static let instance: String = {
            let (names, marks) = CatalogAttribute.columns(instanceAttributes)
            return "INSERT INTO instance (\(names), seriesRef, currentVersion) VALUES (\(marks), ?, 1) RETURNING id"
        }()

        /// A new current version brings its instance-level attributes, all but the unique key.
        static let currentVersion: String = {
            let sets = instanceAttributes.dropFirst().map { "\($0.column) = ?" }
            return "UPDATE instance SET currentVersion = ?, \(sets.joined(separator: ", ")) WHERE id = ?"
        }()

        /// The values of `attributes` in `a`, in the order of their statement's columns, after
        /// `leading` and before `trailing`.
        static func arguments(_ attributes: some Sequence<CatalogAttribute>, of a: InstanceAttributes,
                              after leading: [(any DatabaseValueConvertible)?] = [],
                              then trailing: (any DatabaseValueConvertible)?...) -> StatementArguments {
            StatementArguments(leading + attributes.map { $0.value(in: a) } + trailing)
        }
    }
}
