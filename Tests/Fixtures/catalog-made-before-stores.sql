-- catalog.sqlite as lifeboat 622ac20 made it (lifeboat import of 3 CT instances), with an open and a resolved alert,
-- a downtime, a healed finding, a drill, a commitment transaction and a replication target (holding version 1, owed 2 and 3)
-- added by sqlite3 to its schema: the tests open it with the stores that now own those tables.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('1: patients, studies, series, instances, versions');
INSERT INTO grdb_migrations VALUES('2: query headers, case-insensitive name index');
INSERT INTO grdb_migrations VALUES('3: replication outbox');
INSERT INTO grdb_migrations VALUES('4: catalog snapshots at targets');
INSERT INTO grdb_migrations VALUES('5: scrub progress and integrity findings');
INSERT INTO grdb_migrations VALUES('6: change log shipped to targets');
INSERT INTO grdb_migrations VALUES('7: node health and downtime incidents');
INSERT INTO grdb_migrations VALUES('8: alert incidents');
INSERT INTO grdb_migrations VALUES('9: recovery drills');
INSERT INTO grdb_migrations VALUES('10: storage commitment transactions');
INSERT INTO grdb_migrations VALUES('11: damaged versions');
INSERT INTO grdb_migrations VALUES('12: patients without a Patient ID kept apart');
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
INSERT INTO study VALUES(1,'1.2.826.0.1.3680043.10.543.1',1,'20261201','','','','','','CT',1,3,'2026-12-07T15:53:47.989Z');
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
, attributes BLOB);
INSERT INTO series VALUES(1,'1.2.826.0.1.3680043.10.543.1.1',1,'CT',NULL,'','','','',3,X'0800050043530a0049534f5f4952203139320800160055491a00312e322e3834302e31303030382e352e312e342e312e312e32000800180055492000312e322e3832362e302e312e333638303034332e31302e3534332e312e312e32080020004441080032303236313230310800600043530200435410001000504e0e0052656c656173655e4265666f7265100020004c4f06004f4c442d312020000d0055491c00312e322e3832362e302e312e333638303034332e31302e3534332e3120000e0055491e00312e322e3832362e302e312e333638303034332e31302e3534332e312e31280002005553020001002800040043530c004d4f4e4f4348524f4d4532202800100055530200020028001100555302000200280000015553020010002800010155530200100028000201555302000f0028000301555302000000');
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
INSERT INTO instance VALUES(1,'1.2.826.0.1.3680043.10.543.1.1.2',1,'1.2.840.10008.5.1.4.1.1.2',NULL,NULL,1);
INSERT INTO instance VALUES(2,'1.2.826.0.1.3680043.10.543.1.1.1',1,'1.2.840.10008.5.1.4.1.1.2',NULL,NULL,1);
INSERT INTO instance VALUES(3,'1.2.826.0.1.3680043.10.543.1.1.3',1,'1.2.840.10008.5.1.4.1.1.2',NULL,NULL,1);
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
    peerAddress TEXT NOT NULL, problem TEXT,
    UNIQUE (instanceRef, number),
    UNIQUE (instanceRef, blobHash)
);
INSERT INTO version VALUES(1,1,1,'6ef3ccc2fb2a59373724aa95ed0dd88c28cfe80b94466a3cad91355f4340eb6d',650,'1.2.840.10008.1.2.1','1.2.840.10008.5.1.4.1.1.2','2026-12-07T15:53:47.977Z','import','','','/tmp/fx/in/1.dcm',NULL);
INSERT INTO version VALUES(2,2,1,'cea893d8763fdd2b17c5015227c1fdf54f0f731bf699c5c7071b6d7f4acda704',650,'1.2.840.10008.1.2.1','1.2.840.10008.5.1.4.1.1.2','2026-12-07T15:53:47.976Z','import','','','/tmp/fx/in/0.dcm',NULL);
INSERT INTO version VALUES(3,3,1,'ddc8c12c68124196df92c291db234f2034fbd37c6fe6c996f6fb7360ade5cb67',650,'1.2.840.10008.1.2.1','1.2.840.10008.5.1.4.1.1.2','2026-12-07T15:53:47.989Z','import','','','/tmp/fx/in/2.dcm',NULL);
CREATE TABLE replicationTarget (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    addedAt TEXT NOT NULL,
    lastSuccessAt TEXT,
    lastError TEXT,
    lastErrorAt TEXT
, lastSnapshotAt TEXT, changeLogAt TEXT, changeLogVersion INTEGER);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    targetRef INTEGER NOT NULL REFERENCES replicationTarget (id),
    versionRef INTEGER NOT NULL REFERENCES version (id),
    rank INTEGER NOT NULL,
    enqueuedAt TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lastError TEXT,
    -- Set for an error that retrying cannot cure: kept and shown, never dropped.
    permanent INTEGER NOT NULL DEFAULT 0,
    UNIQUE (targetRef, versionRef)
);
CREATE TABLE replica (
    targetRef INTEGER NOT NULL REFERENCES replicationTarget (id),
    versionRef INTEGER NOT NULL REFERENCES version (id),
    replicatedAt TEXT NOT NULL,
    PRIMARY KEY (targetRef, versionRef)
) WITHOUT ROWID;
CREATE TABLE staleManifest (
    targetRef INTEGER NOT NULL REFERENCES replicationTarget (id),
    studyRef INTEGER NOT NULL REFERENCES study (id),
    PRIMARY KEY (targetRef, studyRef)
) WITHOUT ROWID;
CREATE TABLE scrubCursor (
    place TEXT PRIMARY KEY,
    passStartedAt TEXT NOT NULL,
    lastVersion INTEGER NOT NULL,
    checkedBytes INTEGER NOT NULL,
    completedPasses INTEGER NOT NULL DEFAULT 0,
    lastPassEndedAt TEXT
) WITHOUT ROWID;
CREATE TABLE integrityFinding (
    id INTEGER PRIMARY KEY,
    blobHash TEXT NOT NULL,
    place TEXT NOT NULL,
    problem TEXT NOT NULL,
    foundAt TEXT NOT NULL,
    healedAt TEXT,
    healedFrom TEXT,
    unrecoverable INTEGER NOT NULL DEFAULT 0
);
INSERT INTO integrityFinding VALUES(1,'6ef3ccc2fb2a59373724aa95ed0dd88c28cfe80b94466a3cad91355f4340eb6d','local','corrupt','2026-12-06T11:00:00.000Z','2026-12-06T11:00:01.000Z','nas',0);
CREATE TABLE nodeEvent (
    id INTEGER PRIMARY KEY,
    node TEXT NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE downtime (
    id INTEGER PRIMARY KEY,
    node TEXT NOT NULL,
    startedAt TEXT NOT NULL,
    startedBy TEXT NOT NULL,
    reason TEXT NOT NULL,
    endedAt TEXT,
    endedBy TEXT
);
INSERT INTO downtime VALUES(1,'PACS','2026-12-06T10:00:00.000Z','watch','no C-ECHO answer',NULL,NULL);
CREATE TABLE alertIncident (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    severity TEXT NOT NULL,
    summary TEXT NOT NULL,
    openedAt TEXT NOT NULL,
    resolvedAt TEXT
) WITHOUT ROWID;
INSERT INTO alertIncident VALUES('disk-filling:data','disk-filling','data','warning','8% of the data disk is free','2026-12-05T09:00:00.000Z','2026-12-05T12:00:00.000Z');
INSERT INTO alertIncident VALUES('pacs-down:PACS','pacs-down','PACS','critical','PACS does not answer C-ECHO','2026-12-06T10:00:00.000Z',NULL);
CREATE TABLE drill (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    startedAt TEXT NOT NULL,
    passed INTEGER NOT NULL,
    report TEXT NOT NULL
);
INSERT INTO drill VALUES(1,'offsite','2026-12-06T08:00:00.000Z',1,'{"bytesPerSecond":52000000,"passed":true,"target":"offsite"}');
CREATE TABLE commitmentRequest (
    transactionUID TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    requestedAt TEXT NOT NULL,
    instances INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE commitmentReport (
    transactionUID TEXT PRIMARY KEY REFERENCES commitmentRequest (transactionUID),
    reportedBy TEXT NOT NULL,
    receivedAt TEXT NOT NULL,
    sameAssociation INTEGER NOT NULL,
    committed TEXT NOT NULL,
    failed TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO commitmentRequest VALUES('2.25.77','PACS','2026-12-06T11:30:00.000Z',2);
INSERT INTO commitmentReport VALUES('2.25.77','PACS','2026-12-06T11:30:02.000Z',0,'[{"sopClassUID":"1.2.840.10008.5.1.4.1.1.2","sopInstanceUID":"1.2.3.4.1"}]','[{"reason":272,"reference":{"sopClassUID":"1.2.840.10008.5.1.4.1.1.2","sopInstanceUID":"1.2.3.4.2"}}]');
CREATE TABLE IF NOT EXISTS "patient" (
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
INSERT INTO patient VALUES(1,'OLD-1','','','Release^Before','','');
CREATE INDEX study_patient ON study (patientRef);
CREATE INDEX study_date ON study (studyDate);
CREATE INDEX study_accession ON study (accessionNumber);
CREATE INDEX study_received ON study (lastReceivedAt);
CREATE INDEX series_study ON series (studyRef);
CREATE INDEX instance_series ON instance (seriesRef);
CREATE INDEX version_blob ON version (blobHash);
CREATE INDEX version_received ON version (receivedAt);
CREATE INDEX study_referring_nocase ON study (referringPhysicianName COLLATE NOCASE);
CREATE INDEX study_id ON study (studyID);
CREATE INDEX outbox_next ON outbox (targetRef, permanent, rank);
CREATE INDEX replica_time ON replica (targetRef, replicatedAt);
CREATE INDEX integrityFinding_found ON integrityFinding (foundAt);
CREATE INDEX nodeEvent_node ON nodeEvent (node, at);
CREATE INDEX downtime_node ON downtime (node, startedAt);
CREATE INDEX drill_target ON drill (target, startedAt);
CREATE INDEX commitmentRequest_node ON commitmentRequest (node, requestedAt);
CREATE INDEX patient_name ON patient (patientName);
CREATE INDEX patient_name_nocase ON patient (patientName COLLATE NOCASE);
INSERT INTO replicationTarget VALUES(1,'offsite',1,'2026-12-07T15:53:40.000Z','2026-12-07T15:53:48.100Z',NULL,NULL,NULL,NULL,NULL);
INSERT INTO outbox VALUES(1,1,2,1796658827976,'2026-12-07T15:53:47.976Z',0,NULL,0);
INSERT INTO outbox VALUES(2,1,3,1796658827989,'2026-12-07T15:53:47.989Z',2,'503 SlowDown',0);
INSERT INTO replica VALUES(1,1,'2026-12-07T15:53:48.100Z');
INSERT INTO staleManifest VALUES(1,1);
COMMIT;
