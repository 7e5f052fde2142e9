#!/usr/bin/env python3
"""Adds COUNT instances to a Lifeboat catalog, as a busy archive's would look: PER_STUDY
(default 100) per study, one series per study, a patient per 3 studies, names drawn from
a few thousand family names, study dates spread over 2025. Every new version points at the
blob of the one instance already in the catalog, so recovery finds nothing missing.

Usage: fill-catalog.py DATA_DIR COUNT [PER_STUDY]"""
import datetime, sqlite3, sys, time

data, count = sys.argv[1], int(sys.argv[2])
per_study = int(sys.argv[3]) if len(sys.argv) > 3 else 100
syllables = ["BA", "KER", "MIL", "LER", "SON", "VAN", "DOR", "EN", "HAR", "RIS", "WIL", "LI", "AMS", "CO", "STA", "NO"]
def family(n):  # 16^3 = 4,096 distinct family names
    return syllables[n % 16] + syllables[(n // 16) % 16].lower() + syllables[(n // 256) % 16].lower()
db = sqlite3.connect(f"{data}/catalog.sqlite")
blob, size, syntax = db.execute("SELECT blobHash, size, transferSyntaxUID FROM version LIMIT 1").fetchone()
start = time.time()
now = "2026-01-01T00:00:00.000Z"
root = "2.25.9999"
with db:
    for study in range(count // per_study):
        if study % 3 == 0:
            patient = db.execute("INSERT INTO patient (patientID, issuerOfPatientID, patientName, patientBirthDate, patientSex) "
                                 "VALUES (?, '', ?, '19700101', 'O')", (f"FILL{study}", f"{family(study * 7919)}^Pat{study}")).lastrowid
        study_id = db.execute("INSERT INTO study (studyInstanceUID, patientRef, studyDate, studyTime, accessionNumber, studyID, "
                              "studyDescription, referringPhysicianName, modalitiesInStudy, numberOfSeries, numberOfInstances, "
                              "lastReceivedAt) VALUES (?, ?, ?, '120000', ?, '1', 'CT CHEST', '', 'CT', 1, ?, ?)",
                              (f"{root}.1.{study}", patient, (datetime.date(2025, 1, 1) + datetime.timedelta(days=study % 365)).strftime("%Y%m%d"), f"A{study}", per_study, now)).lastrowid
        series_id = db.execute("INSERT INTO series (seriesInstanceUID, studyRef, modality, seriesNumber, seriesDescription, "
                               "bodyPartExamined, seriesDate, seriesTime, numberOfInstances) VALUES (?, ?, 'CT', 1, '', 'CHEST', '', '', ?)",
                               (f"{root}.2.{study}", study_id, per_study)).lastrowid
        for number in range(per_study):
            instance_id = db.execute("INSERT INTO instance (sopInstanceUID, seriesRef, sopClassUID, instanceNumber, currentVersion) "
                                     "VALUES (?, ?, '1.2.840.10008.5.1.4.1.1.2', ?, 1)", (f"{root}.3.{study}.{number}", series_id, number)).lastrowid
            db.execute("INSERT INTO version (instanceRef, number, blobHash, size, transferSyntaxUID, sopClassUID, receivedAt, source, "
                       "callingAETitle, calledAETitle, peerAddress) VALUES (?, 1, ?, ?, ?, '1.2.840.10008.5.1.4.1.1.2', ?, 'import', 'FILL', 'LIFEBOAT', '')",
                       (instance_id, blob, size, syntax, now))
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"added {count // per_study * per_study} instances in {count // per_study} studies in {time.time() - start:.0f} s")
