#!/usr/bin/env python3
"""Study-level C-FIND latency against a Lifeboat filled by fill-catalog.py: one pynetdicom
association, ROUNDS queries of each kind with values drawn from the catalog, each timed
from request to final response (pynetdicom's own time included, so an upper bound),
with TCP_NODELAY set on pynetdicom's socket.

Given the server's log, it also prints the time Lifeboat itself took for each query (its
"C-FIND ... ms=" lines: identifier received to final response written).

Usage: query-latency.py PORT DATA_DIR [ROUNDS] [SERVER_LOG]"""
import re, socket, sqlite3, statistics, sys, time

from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND

port, data = int(sys.argv[1]), sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
server_log = sys.argv[4] if len(sys.argv) > 4 else None
def server_times():
    if not server_log:
        return []
    return [float(m) for m in re.findall(r"C-FIND.*?ms=([0-9.]+)|ms=([0-9.]+).*C-FIND", open(server_log).read()) for m in m if m]
logged = len(server_times())
db = sqlite3.connect(f"{data}/catalog.sqlite")
rows = db.execute("SELECT p.patientID, p.patientName, s.studyDate, s.accessionNumber, s.studyInstanceUID "
                  "FROM study s JOIN patient p ON s.patientRef = p.id ORDER BY random() LIMIT ?", (rounds,)).fetchall()
studies = db.execute("SELECT count(*) FROM study").fetchone()[0]
kinds = {
    "PatientID": lambda r: {"PatientID": r[0]},
    "PatientName prefix*": lambda r: {"PatientName": r[1].split("^")[0][:5].lower() + "*"},
    "StudyDate one day": lambda r: {"StudyDate": r[2]},
    "StudyDate 3-day range": lambda r: {"StudyDate": f"{r[2]}-{r[2][:6]}{min(int(r[2][6:]) + 2, 28):02d}"},
    "AccessionNumber": lambda r: {"AccessionNumber": r[3]},
    "StudyInstanceUID": lambda r: {"StudyInstanceUID": r[4]},
}
ae = AE(ae_title="BENCH")
ae.add_requested_context(FIND)
assoc = ae.associate("127.0.0.1", port, ae_title="LIFEBOAT")
assert assoc.is_established
# pynetdicom leaves Nagle's algorithm on: its command and identifier PDUs would wait ~40 ms
# for a delayed ACK (as dcmtk's tools do without TCP_NODELAY=1).
assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
every = []
print(f"study-level C-FIND, {studies} studies in the catalog, {rounds} queries of each kind (ms, at pynetdicom):")
for name, keys in kinds.items():
    times, matches = [], 0
    for row in rows:
        ds = Dataset()
        ds.QueryRetrieveLevel = "STUDY"
        for key in ("StudyInstanceUID", "PatientName", "PatientID", "StudyDate", "AccessionNumber", "ModalitiesInStudy",
                    "NumberOfStudyRelatedInstances", "StudyDescription"):
            setattr(ds, key, "")
        for key, value in keys(row).items():
            setattr(ds, key, value)
        start = time.perf_counter()
        for status, identifier in assoc.send_c_find(ds, FIND):
            if status and status.Status in (0xFF00, 0xFF01):
                matches += 1
        times.append((time.perf_counter() - start) * 1000)
    every += times
    cut = statistics.quantiles(times, n=100)
    print(f"  {name:24} p50 {statistics.median(times):6.2f}  p99 {cut[98]:6.2f}  ({matches / len(rows):.1f} matches each)")
assoc.release()
cut = statistics.quantiles(every, n=100)
print(f"  {'all':24} p50 {statistics.median(every):6.2f}  p99 {cut[98]:6.2f}  (goal: p50 under 5 ms)")
time.sleep(0.5)  # the last log lines
inside = server_times()[logged:]
if len(inside) == len(kinds) * len(rows):
    print("the same queries, time inside Lifeboat (ms):")
    for index, name in enumerate(kinds):
        times = inside[index * len(rows):(index + 1) * len(rows)]
        cut = statistics.quantiles(times, n=100)
        print(f"  {name:24} p50 {statistics.median(times):6.2f}  p99 {cut[98]:6.2f}")
    cut = statistics.quantiles(inside, n=100)
    print(f"  {'all':24} p50 {statistics.median(inside):6.2f}  p99 {cut[98]:6.2f}")
elif server_log:
    print(f"(found {len(inside)} C-FIND lines in {server_log}, expected {len(kinds) * len(rows)})")
