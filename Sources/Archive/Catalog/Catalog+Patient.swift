import GRDB

extension Catalog {
    /// The UIDs an audit trail may name a patient's data by: their studies' and instances'.
    public func identifiers(ofPatient patientID: String) async throws -> (studies: [String], instances: [String]) {
        try await pool.read { db in
            let studies = try String.fetchAll(db, sql: """
                SELECT study.studyInstanceUID FROM study JOIN patient ON patient.id = study.patientRef WHERE patient.patientID = ?
                """, arguments: [patientID])
            let instances = try String.fetchAll(db, sql: """
                SELECT instance.sopInstanceUID FROM instance JOIN series ON series.id = instance.seriesRef
                JOIN study ON study.id = series.studyRef JOIN patient ON patient.id = study.patientRef WHERE patient.patientID = ?
                """, arguments: [patientID])
            return (studies, instances)
        }
    }
}
