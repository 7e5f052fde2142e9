#!/usr/bin/env python3
"""Adds COUNT instances to a Lifeboat catalog, as a busy archive's would look: 100 per
study, one series per study, a patient per 3 studies. Every new version points at the blob
of the one instance already in the catalog, so recovery finds nothing missing.

Usage: fill-catalog.py DATA_DIR COUNT"""
import sqlite3, sys, time

data, count = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(f"{data}/catalog.sqlite")
blob, size, syntax = db.execute("SELECT blobHash, size, transferSyntaxUID FROM version LIMIT 1").fetchone()
start = time.time()
now = "2026-01-01T00:00:00.000Z"
root = "2.25.9999"
with db:
    for study in range(count // 100):
        if study % 3 == 0:
            patient = db.execute("INSERT INTO patient (patientID, issuerOfPatientID, patientName, patientBirthDate, patientSex) "
                                 "VALUES (?, '', ?, '19700101', 'O')", (f"FILL{study}", f"Fill^{study}")).lastrowid
        study_id = db.execute("INSERT INTO study (studyInstanceUID, patientRef, studyDate, studyTime, accessionNumber, studyID, "
                              "studyDescription, referringPhysicianName, modalitiesInStudy, numberOfSeries, numberOfInstances, "
                              "lastReceivedAt) VALUES (?, ?, ?, '120000', ?, '1', 'CT CHEST', '', 'CT', 1, 100, ?)",
                              (f"{root}.1.{study}", patient, f"2025{(study % 12) + 1:02d}{(study % 28) + 1:02d}", f"A{study}", now)).lastrowid
        series_id = db.execute("INSERT INTO series (seriesInstanceUID, studyRef, modality, seriesNumber, seriesDescription, "
                               "bodyPartExamined, seriesDate, seriesTime, numberOfInstances) VALUES (?, ?, 'CT', 1, '', 'CHEST', '', '', 100)",
                               (f"{root}.2.{study}", study_id)).lastrowid
        for number in range(100):
            instance_id = db.execute("INSERT INTO instance (sopInstanceUID, seriesRef, sopClassUID, instanceNumber, currentVersion) "
                                     "VALUES (?, ?, '1.2.840.10008.5.1.4.1.1.2', ?, 1)", (f"{root}.3.{study}.{number}", series_id, number)).lastrowid
            db.execute("INSERT INTO version (instanceRef, number, blobHash, size, transferSyntaxUID, sopClassUID, receivedAt, source, "
                       "callingAETitle, calledAETitle, peerAddress) VALUES (?, 1, ?, ?, ?, '1.2.840.10008.5.1.4.1.1.2', ?, 'import', 'FILL', 'LIFEBOAT', '')",
                       (instance_id, blob, size, syntax, now))
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"added {count // 100 * 100} instances in {time.time() - start:.0f} s")
