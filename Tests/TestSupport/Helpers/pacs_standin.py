#!/usr/bin/env python3
"""A PACS stand-in built on pynetdicom, for the continuity tests and the failback benchmark.

  pacs_standin.py PORT AET DIRECTORY [--no-commitment] [--report-to AE@HOST:PORT] [--refuse SOP_INSTANCE_UID]... [--exit-after N]

Storage SCP for every storage SOP class in every transfer syntax: each instance is written
to DIRECTORY/<SOP Instance UID>.dcm (a Part 10 file whose data set is exactly the bytes
received) and one line is appended to DIRECTORY/received.log: "<seconds> <study UID> <SOP
Instance UID>". What DIRECTORY holds at start is what the PACS holds (a restored PACS).
Each association and each service it carries are noted in DIRECTORY/services.log, a line
each: "<association number> associate|store|find|commit".

Study-root C-FIND SCP at STUDY, SERIES and IMAGE level over what it holds: unique keys
match a UID or a list of UIDs (or anything when empty); returns the UIDs and the Number of Study/Series
Related Instances.

Storage Commitment Push Model SCP (PS3.4 J.3): the N-ACTION is answered, then the
N-EVENT-REPORT goes back over the same association, listing as committed the instances it
holds under the SOP class asked for, the others as failed (0x0112). --report-to AE@HOST:PORT
makes it behave as most PACSs do instead: it waits until the requesting association has
ended, then opens an association of its own to that AE, proposing the SCP role (PS3.4
J.3.3.1.3), and reports there ("report" in services.log, under the new association's
number; "report-failed" if that association could not be made or the report was refused).
--no-commitment leaves the service out (the SCU must then confirm some other way). --refuse answers a C-STORE of
that instance with 0xA900 (the PACS does not accept it). --exit-after N: the process dies
once it has written its Nth instance, before answering it (a PACS that crashes mid-failback).
"""
import os
import sys
import threading
import time

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, build_role, evt
from pynetdicom.sop_class import StorageCommitmentPushModel, StudyRootQueryRetrieveInformationModelFind, Verification

COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"


class Holdings:
    """What the PACS holds: SOP Instance UID -> (SOP Class UID, study, series)."""

    def __init__(self, directory):
        self.lock = threading.Lock()
        self.directory = directory
        self.instances = {}
        for name in os.listdir(directory):
            if name.endswith(".dcm"):
                ds = dcmread(os.path.join(directory, name), stop_before_pixels=True)
                self.instances[ds.SOPInstanceUID] = (ds.SOPClassUID, ds.StudyInstanceUID, ds.SeriesInstanceUID)

    def add(self, sop_instance, sop_class, study, series):
        with self.lock:
            self.instances[sop_instance] = (sop_class, study, series)

    def snapshot(self):
        with self.lock:
            return dict(self.instances)


def main(argv):
    port, aet, directory = int(argv[0]), argv[1], argv[2]
    commitment = "--no-commitment" not in argv
    refused = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--refuse"}
    exit_after = next((int(argv[i + 1]) for i, arg in enumerate(argv) if arg == "--exit-after"), None)
    report_to = next((argv[i + 1] for i, arg in enumerate(argv) if arg == "--report-to"), None)
    # As many PACSs are set up: images taken only in Explicit or Implicit VR Little Endian.
    syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian] if "--uncompressed-only" in argv else ALL_TRANSFER_SYNTAXES
    stored = [0]
    holdings = Holdings(directory)
    log = open(os.path.join(directory, "received.log"), "a", buffering=1)
    services = open(os.path.join(directory, "services.log"), "a", buffering=1)
    associations = []

    def note(event, service):
        with holdings.lock:
            if event.assoc not in associations:
                associations.append(event.assoc)
            services.write(f"{associations.index(event.assoc) + 1} {service}\n")

    def on_store(event):
        note(event, "store")
        uid = event.request.AffectedSOPInstanceUID
        if uid in refused:
            return 0xA900
        ds = event.dataset
        with open(os.path.join(directory, f"{uid}.dcm"), "wb") as f:
            f.write(event.encoded_dataset(include_meta=True))
        holdings.add(uid, event.request.AffectedSOPClassUID, ds.StudyInstanceUID, ds.SeriesInstanceUID)
        log.write(f"{time.time():.6f} {ds.StudyInstanceUID} {uid}\n")
        stored[0] += 1
        if exit_after is not None and stored[0] >= exit_after:
            os._exit(1)
        return 0x0000

    def on_find(event):
        note(event, "find")
        keys = event.identifier
        level = keys.get("QueryRetrieveLevel", "")
        # List of UID Matching (PS3.4 C.2.2.2.2): a unique key may hold several UIDs.
        def wanted(keyword):
            value = keys.get(keyword, "") or ""
            return set(value) if isinstance(value, MultiValue) else ({str(value)} if value else None)
        want_study, want_series = wanted("StudyInstanceUID"), wanted("SeriesInstanceUID")
        held = holdings.snapshot()
        rows = [(inst, cls, study, series) for inst, (cls, study, series) in held.items()
                if (not want_study or study in want_study) and (not want_series or series in want_series)]
        groups = {}
        for inst, cls, study, series in rows:
            key = {"STUDY": (study,), "SERIES": (study, series), "IMAGE": (study, series, inst)}.get(level)
            if key is None:
                yield 0xA900, None
                return
            groups.setdefault(key, []).append((inst, cls))
        for key, members in sorted(groups.items()):
            if event.is_cancelled:
                yield 0xFE00, None
                return
            reply = Dataset()
            reply.QueryRetrieveLevel = level
            reply.StudyInstanceUID = key[0]
            if level == "STUDY":
                reply.NumberOfStudyRelatedInstances = len(members)
            if level in ("SERIES", "IMAGE"):
                reply.SeriesInstanceUID = key[1]
            if level == "SERIES":
                reply.NumberOfSeriesRelatedInstances = len(members)
            if level == "IMAGE":
                reply.SOPInstanceUID = key[2]
                reply.SOPClassUID = members[0][1]
            yield 0xFF00, reply

    def on_action(event):
        note(event, "commit")
        request = event.action_information
        held = holdings.snapshot()
        report = Dataset()
        report.TransactionUID = request.TransactionUID
        committed, failed = [], []
        for item in request.ReferencedSOPSequence:
            entry = Dataset()
            entry.ReferencedSOPClassUID = item.ReferencedSOPClassUID
            entry.ReferencedSOPInstanceUID = item.ReferencedSOPInstanceUID
            if held.get(item.ReferencedSOPInstanceUID, (None,))[0] == item.ReferencedSOPClassUID:
                committed.append(entry)
            else:
                entry.FailureReason = 0x0112
                failed.append(entry)
        if committed:
            report.ReferencedSOPSequence = committed
        if failed:
            report.FailedSOPSequence = failed
        assoc = event.assoc
        event_type = 2 if failed else 1

        def send_report():
            # After the N-ACTION-RSP has gone (the handler's return sends it).
            time.sleep(0.05)
            assoc.send_n_event_report(report, event_type, StorageCommitmentPushModel, COMMITMENT_INSTANCE)

        def report_elsewhere():
            # Once the SCU has released (or lost) the requesting association, on one of our own.
            while assoc.is_alive():
                time.sleep(0.02)
            called, address = report_to.split("@")
            host, port = address.rsplit(":", 1)
            reporter = AE(ae_title=aet)
            reporter.add_requested_context(StorageCommitmentPushModel)
            outgoing = reporter.associate(host, int(port), ae_title=called,
                                          ext_neg=[build_role(StorageCommitmentPushModel, scp_role=True)])
            if not outgoing.is_established:
                with holdings.lock:
                    services.write(f"0 report-failed\n")
                return
            with holdings.lock:
                associations.append(outgoing)
                number = len(associations)
            status, _ = outgoing.send_n_event_report(report, event_type, StorageCommitmentPushModel, COMMITMENT_INSTANCE)
            outgoing.release()
            with holdings.lock:
                ok = status is not None and status.Status == 0x0000
                services.write(f"{number} {'report' if ok else 'report-failed'}\n")

        threading.Thread(target=report_elsewhere if report_to else send_report, daemon=True).start()
        return 0x0000, None

    ae = AE(ae_title=aet)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, syntaxes)
    ae.add_supported_context(Verification)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    handlers = [(evt.EVT_C_STORE, on_store), (evt.EVT_C_FIND, on_find), (evt.EVT_ESTABLISHED, lambda event: note(event, "associate"))]
    if commitment:
        ae.add_supported_context(StorageCommitmentPushModel)
        handlers.append((evt.EVT_N_ACTION, on_action))
    ae.maximum_pdu_size = 0
    ae.maximum_associations = 16
    print("listening", flush=True)
    ae.start_server(("127.0.0.1", port), block=True, evt_handlers=handlers)


if __name__ == "__main__":
    main(sys.argv[1:])
