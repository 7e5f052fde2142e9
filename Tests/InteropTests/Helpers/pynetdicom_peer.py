#!/usr/bin/env python3
"""pynetdicom as a real peer for the interop tests.

  pynetdicom_peer.py scp PORT AET DIRECTORY
      A storage SCP accepting every storage SOP class in every transfer syntax; writes each
      data set exactly as received to DIRECTORY/<SOP Instance UID>.raw.
  pynetdicom_peer.py scu HOST PORT AEC MAXPDU FILE...
      Echoes, then sends each file over one association; prints a JSON list of
      {"file", "status"} (status null when not sent).
  pynetdicom_peer.py find HOST PORT AEC MODEL KEYS_JSON [CANCEL_AFTER]
      One C-FIND (MODEL "patient" or "study" root); KEYS_JSON maps keywords to values
      ("" for return keys). Prints {"statuses": [...], "matches": [DICOM JSON...]}; with
      CANCEL_AFTER, sends C-CANCEL once that many matches have arrived.
  pynetdicom_peer.py get HOST PORT AEC STUDY_UID DIRECTORY SOP_CLASS...
      A study-root C-GET of the study, taking the SCP role for the SOP classes given; writes
      each instance received to DIRECTORY as a Part 10 file. Prints {"responses": [{"status",
      "remaining", "completed", "failed", "warning"}...]}.
  pynetdicom_peer.py commit HOST PORT AEC SOP_CLASS:SOP_INSTANCE...
      A Storage Commitment request (N-ACTION) for the instances given, as a modality sends
      it; waits on the same association for the N-EVENT-REPORT. Prints {"action": status,
      "event": event type, "transaction_matches": bool, "committed": [UID...],
      "failed": [[UID, reason]...]}.
  pynetdicom_peer.py move HOST PORT AEC DESTINATION STUDY_UID [CANCEL_AFTER]
      A study-root C-MOVE of the study to DESTINATION; prints its responses as get does. With
      CANCEL_AFTER, sends C-CANCEL once that many pending responses have arrived.
"""
import json
import os
import sys

from pydicom import dcmread
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pydicom.dataset import Dataset
from pydicom.filewriter import write_file_meta_info
from pynetdicom import build_role
from pynetdicom.sop_class import (PatientRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelFind,
                                  StudyRootQueryRetrieveInformationModelGet, StudyRootQueryRetrieveInformationModelMove,
                                  Verification)


def scp(port, aet, directory):
    def on_store(event):
        raw = event.request.DataSet.getvalue()
        uid = event.request.AffectedSOPInstanceUID
        with open(os.path.join(directory, f"{uid}.raw"), "wb") as f:
            f.write(raw)
        return 0x0000

    ae = AE(ae_title=aet)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context(Verification)
    ae.maximum_pdu_size = 0
    ae.start_server(("127.0.0.1", int(port)), block=True, evt_handlers=[(evt.EVT_C_STORE, on_store)])


def scu(host, port, aec, max_pdu, files):
    ae = AE(ae_title="PYNETDICOM")
    ae.maximum_pdu_size = int(max_pdu)
    ae.add_requested_context(Verification)
    datasets = []
    for path in files:
        ds = dcmread(path)
        context = (ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.TransferSyntaxUID)
        if context not in [(c.abstract_syntax, c.transfer_syntax[0]) for c in ae.requested_contexts]:
            ae.add_requested_context(*context)
        datasets.append((path, ds))
    assoc = ae.associate(host, int(port), ae_title=aec)
    results = []
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    echo = assoc.send_c_echo()
    results.append({"file": "echo", "status": echo.Status if echo else None})
    for path, ds in datasets:
        status = assoc.send_c_store(ds)
        results.append({"file": path, "status": status.Status if status else None})
    assoc.release()
    print(json.dumps(results))


def find(host, port, aec, model, keys_json, cancel_after=None):
    model = {"patient": PatientRootQueryRetrieveInformationModelFind,
             "study": StudyRootQueryRetrieveInformationModelFind}[model]
    ae = AE(ae_title="PYNETDICOM")
    ae.add_requested_context(model)
    identifier = Dataset()
    for keyword, value in json.loads(keys_json).items():
        setattr(identifier, keyword, value)
    assoc = ae.associate(host, int(port), ae_title=aec)
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    statuses, matches = [], []
    for status, match in assoc.send_c_find(identifier, model, msg_id=7):
        if status is None:
            statuses.append(None)
            break
        statuses.append(status.Status)
        if match is not None and status.Status in (0xFF00, 0xFF01):
            matches.append(match.to_json_dict())
            if cancel_after is not None and len(matches) == int(cancel_after):
                assoc.send_c_cancel(7, query_model=model)
    assoc.release()
    print(json.dumps({"statuses": statuses, "matches": matches}))


def get(host, port, aec, study_uid, directory, *sop_classes):
    ae = AE(ae_title="PYNETDICOM")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    for sop_class in sop_classes:
        ae.add_requested_context(sop_class, ALL_TRANSFER_SYNTAXES[:])
    roles = [build_role(sop_class, scp_role=True) for sop_class in sop_classes]

    def on_store(event):
        with open(os.path.join(directory, event.request.AffectedSOPInstanceUID + ".dcm"), "wb") as f:
            f.write(b"\x00" * 128 + b"DICM")
            write_file_meta_info(f, event.file_meta, enforce_standard=True)
            f.write(event.request.DataSet.getvalue())
        return 0x0000

    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.StudyInstanceUID = study_uid
    assoc = ae.associate(host, int(port), ae_title=aec, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    print(json.dumps({"responses": retrieve_responses(assoc, assoc.send_c_get(identifier, StudyRootQueryRetrieveInformationModelGet))}))
    assoc.release()


def retrieve_responses(assoc, responses, cancel_after=None, model=None):
    seen = []
    for status, _ in responses:
        if status is None or "Status" not in status:
            seen.append({"status": None})
            break
        seen.append({"status": status.Status,
                     "remaining": status.get("NumberOfRemainingSuboperations"),
                     "completed": status.get("NumberOfCompletedSuboperations"),
                     "failed": status.get("NumberOfFailedSuboperations"),
                     "warning": status.get("NumberOfWarningSuboperations")})
        if cancel_after is not None and len(seen) == int(cancel_after):
            assoc.send_c_cancel(9, query_model=model)
    return seen


def move(host, port, aec, destination, study_uid, cancel_after=None):
    model = StudyRootQueryRetrieveInformationModelMove
    ae = AE(ae_title="PYNETDICOM")
    ae.add_requested_context(model)
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.StudyInstanceUID = study_uid
    assoc = ae.associate(host, int(port), ae_title=aec)
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    responses = assoc.send_c_move(identifier, destination, model, msg_id=9)
    print(json.dumps({"responses": retrieve_responses(assoc, responses, cancel_after, model)}))
    assoc.release()


def commit(host, port, aec, *references):
    import queue
    from pydicom.uid import generate_uid
    from pynetdicom.sop_class import StorageCommitmentPushModel

    reports = queue.Queue()

    def on_report(event):
        reports.put((event.event_type, event.event_information))
        return 0x0000, None

    ae = AE(ae_title="MODALITY")
    ae.add_requested_context(StorageCommitmentPushModel)
    assoc = ae.associate(host, int(port), ae_title=aec, evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)])
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}))
        return
    request = Dataset()
    request.TransactionUID = generate_uid()
    items = []
    for reference in references:
        sop_class, sop_instance = reference.split(":")
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        items.append(item)
    request.ReferencedSOPSequence = items
    status, _ = assoc.send_n_action(request, 1, StorageCommitmentPushModel, "1.2.840.10008.1.20.1.1")
    event_type, report = reports.get(timeout=30)
    assoc.release()
    print(json.dumps({
        "action": status.Status if status else None,
        "event": event_type,
        "transaction_matches": report.TransactionUID == request.TransactionUID,
        "committed": [item.ReferencedSOPInstanceUID for item in report.get("ReferencedSOPSequence", [])],
        "failed": [[item.ReferencedSOPInstanceUID, item.FailureReason] for item in report.get("FailedSOPSequence", [])],
    }))


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    if mode == "scp":
        scp(*arguments)
    elif mode == "find":
        find(*arguments)
    elif mode == "get":
        get(*arguments)
    elif mode == "move":
        move(*arguments)
    elif mode == "commit":
        commit(*arguments)
    else:
        scu(arguments[0], arguments[1], arguments[2], arguments[3], arguments[4:])
