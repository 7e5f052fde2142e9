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
        return migrator
    }
}
