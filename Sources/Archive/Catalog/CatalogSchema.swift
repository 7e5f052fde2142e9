import DICOM
import Foundation
import GRDB

/// The catalog's tables (patient → study → series → instance → version), created and
/// changed only by numbered migrations, so that any earlier catalog opens.
enum CatalogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1: patients, studies, series, instances, versions") { db in
            try db.execute(sql: """
                CREATE TABLE patient (
                    id INTEGER PRIMARY KEY,
                    patientID TEXT NOT NULL,
                    issuerOfPatientID TEXT NOT NULL,
                    patientName TEXT NOT NULL,
                    patientBirthDate TEXT NOT NULL,
                    patientSex TEXT NOT NULL,
                    UNIQUE (patientID, issuerOfPatientID)
                );
                CREATE INDEX patient_name ON patient (patientName);

                CREATE TABLE study (
                    id INTEGER PRIMARY KEY,
                    studyInstanceUID TEXT NOT NULL UNIQUE,
                    patientRef INTEGER NOT NULL REFERENCES patient (id),
                    studyDate TEXT NOT NULL,
                    studyTime TEXT NOT NULL,
                    accessionNumber TEXT NOT NULL,
                    studyID TEXT NOT NULL,
                    studyDescription TEXT NOT NULL,
                    referringPhysicianName TEXT NOT NULL,
                    -- (0008,0061), (0020,1206), (0020,1208): kept up to date as instances arrive.
                    modalitiesInStudy TEXT NOT NULL DEFAULT '',
                    numberOfSeries INTEGER NOT NULL DEFAULT 0,
                    numberOfInstances INTEGER NOT NULL DEFAULT 0,
                    lastReceivedAt TEXT NOT NULL
                );
                CREATE INDEX study_patient ON study (patientRef);
                CREATE INDEX study_date ON study (studyDate);
                CREATE INDEX study_accession ON study (accessionNumber);
                CREATE INDEX study_received ON study (lastReceivedAt);

                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    seriesInstanceUID TEXT NOT NULL UNIQUE,
                    studyRef INTEGER NOT NULL REFERENCES study (id),
                    modality TEXT NOT NULL,
                    seriesNumber INTEGER,
                    seriesDescription TEXT NOT NULL,
                    bodyPartExamined TEXT NOT NULL,
                    seriesDate TEXT NOT NULL,
                    seriesTime TEXT NOT NULL,
                    -- (0020,1209)
                    numberOfInstances INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX series_study ON series (studyRef);

                CREATE TABLE instance (
                    id INTEGER PRIMARY KEY,
                    sopInstanceUID TEXT NOT NULL UNIQUE,
                    seriesRef INTEGER NOT NULL REFERENCES series (id),
                    sopClassUID TEXT NOT NULL,
                    instanceNumber INTEGER,
                    numberOfFrames INTEGER,
                    -- The newest version's number; every version stays in `version`.
                    currentVersion INTEGER NOT NULL
                );
                CREATE INDEX instance_series ON instance (seriesRef);

                -- One row per distinct content received for an instance: never updated, never deleted.
                CREATE TABLE version (
                    id INTEGER PRIMARY KEY,
                    instanceRef INTEGER NOT NULL REFERENCES instance (id),
                    number INTEGER NOT NULL,
                    blobHash TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    transferSyntaxUID TEXT NOT NULL,
                    sopClassUID TEXT NOT NULL,
                    receivedAt TEXT NOT NULL,
                    source TEXT NOT NULL,
                    callingAETitle TEXT NOT NULL,
                    calledAETitle TEXT NOT NULL,
                    peerAddress TEXT NOT NULL,
                    UNIQUE (instanceRef, number),
                    UNIQUE (instanceRef, blobHash)
                );
                CREATE INDEX version_blob ON version (blobHash);
                CREATE INDEX version_received ON version (receivedAt);
                """)
        }
        migrator.registerMigration("2: query headers, case-insensitive name index") { db in
            try db.execute(sql: """
                -- The first instance's header as queries see it (QueryHeader): attributes beyond the columns.
                ALTER TABLE series ADD COLUMN attributes BLOB;
                -- Person names are matched regardless of case by default; LIKE uses this index for a prefix.
                CREATE INDEX patient_name_nocase ON patient (patientName COLLATE NOCASE);
                CREATE INDEX study_referring_nocase ON study (referringPhysicianName COLLATE NOCASE);
                CREATE INDEX study_id ON study (studyID);
                """)
        }
        // "3: replication outbox" is Replication's now (SQLiteReplicationStore), under the same name.
        // "4: catalog snapshots at targets" is Replication's now (SQLiteReplicationStore), under the same name.
        // "6: change log shipped to targets" is Replication's now (SQLiteReplicationStore), under the same name.
        // "7: node health and downtime incidents" is Continuity's now (SQLiteDowntimeStore), under the same name.
        // "8: alert incidents" is Continuity's now (SQLiteAlertStore), under the same name.
        // "9: recovery drills" is Continuity's now (SQLiteDrillStore), under the same name.
        // "10: storage commitment transactions" is Continuity's now (SQLiteCommitmentStore), under the same name.
        migrator.registerMigration("11: damaged versions") { db in
            try db.execute(sql: """
                -- Why a version's data set is not whole (cut short, pixel data shorter than its frames),
                -- for a damaged copy kept on purpose (import --keep-damaged, a catalog rebuilt from old
                -- blobs); NULL for an intact one. A damaged version is never made current over an intact one.
                ALTER TABLE version ADD COLUMN problem TEXT;
                """)
        }
        migrator.registerMigration("12: patients without a Patient ID kept apart") { db in
            // The patient table again, unique by a third column (SQLite cannot change a UNIQUE in place).
            try db.execute(sql: """
                CREATE TABLE patientKeyed (
                    id INTEGER PRIMARY KEY,
                    patientID TEXT NOT NULL,
                    issuerOfPatientID TEXT NOT NULL,
                    -- '' for a patient with a Patient ID; without one, what tells patients apart
                    -- (PatientKey): their name and birth date, else the study.
                    anonymousKey TEXT NOT NULL DEFAULT '',
                    patientName TEXT NOT NULL,
                    patientBirthDate TEXT NOT NULL,
                    patientSex TEXT NOT NULL,
                    UNIQUE (patientID, issuerOfPatientID, anonymousKey)
                );
                INSERT INTO patientKeyed (id, patientID, issuerOfPatientID, patientName, patientBirthDate, patientSex)
                    SELECT id, patientID, issuerOfPatientID, patientName, patientBirthDate, patientSex FROM patient;
                DROP TABLE patient;
                ALTER TABLE patientKeyed RENAME TO patient;
                CREATE INDEX patient_name ON patient (patientName);
                CREATE INDEX patient_name_nocase ON patient (patientName COLLATE NOCASE);
                """)
            // Studies merged under one patient for want of a Patient ID are parted, each by the
            // patient its first series' header names.
            let studies = try Row.fetchAll(db, sql: """
                SELECT s.id AS study, s.studyInstanceUID AS uid, p.issuerOfPatientID AS issuer,
                       (SELECT attributes FROM series WHERE studyRef = s.id ORDER BY id LIMIT 1) AS header
                FROM study s JOIN patient p ON s.patientRef = p.id WHERE p.patientID = ''
                """)
            for row in studies {
                let header = (row["header"] as Data?).map { QueryHeader.decode(Array($0)) } ?? DataSet()
                func text(_ tag: Tag) -> String { ((try? header.string(tag)) ?? nil) ?? "" }
                let (name, birthDate) = (text(.patientName), text(Tag.patientBirthDate))
                let key = PatientKey.anonymous(name: name, birthDate: birthDate, study: row["uid"])
                let patient = try Int64.fetchOne(db, sql: """
                    INSERT INTO patient (patientID, issuerOfPatientID, anonymousKey, patientName, patientBirthDate, patientSex)
                    VALUES ('', ?, ?, ?, ?, ?) ON CONFLICT (patientID, issuerOfPatientID, anonymousKey) DO UPDATE SET patientName = excluded.patientName
                    RETURNING id
                    """, arguments: [row["issuer"] as String, key, name, birthDate, text(Tag.patientSex)])!
                try db.execute(sql: "UPDATE study SET patientRef = ? WHERE id = ?", arguments: [patient, row["study"] as Int64])
            }
            try db.execute(sql: "DELETE FROM patient WHERE patientID = '' AND anonymousKey = '' AND id NOT IN (SELECT patientRef FROM study)")
        }
        // "13: versions owed to the active targets as they are recorded" is Replication's (SQLiteReplicationStore).
        return migrator
    }
}
