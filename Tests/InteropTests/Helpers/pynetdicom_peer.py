#!/usr/bin/env python3
"""pynetdicom as a real peer for the interop tests.

  pynetdicom_peer.py scp PORT AET DIRECTORY
      A storage SCP accepting every storage SOP class in every transfer syntax; writes each
      data set exactly as received to DIRECTORY/<SOP Instance UID>.raw.
  pynetdicom_peer.py scu HOST PORT AEC MAXPDU FILE...
      Echoes, then sends each file over one association; prints a JSON list of
      {"file", "status"} (status null when not sent).
"""
import json
import os
import sys

from pydicom import dcmread
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification


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


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    if mode == "scp":
        scp(*arguments)
    else:
        scu(arguments[0], arguments[1], arguments[2], arguments[3], arguments[4:])
