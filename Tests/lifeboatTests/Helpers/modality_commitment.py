#!/usr/bin/env python3
"""A modality asking an archive for Storage Commitment, as many do (pynetdicom).

  modality_commitment.py HOST PORT CALLED_AET LISTEN_PORT AET SOP_CLASS_UID:SOP_INSTANCE_UID... [--listen-after SECONDS]

It sends the N-ACTION (PS3.4 J.3.2) and releases the association as soon as the N-ACTION-RSP
has come — PS3.4 J.3.2.1.2 lets it — so the archive must send the N-EVENT-REPORT on an
association of its own to LISTEN_PORT, where this process listens as AET, accepting the SCP
role the archive proposes (PS3.4 J.3.3.1.3). --listen-after: it starts listening only that
many seconds after the release (the archive's first attempts then fail, and it must try again).

Prints one JSON object: the N-ACTION status, and the report as it came (transaction, the
committed and the failed instances with their reasons, whether the archive proposed the SCP
role), or "report": null after 60 seconds without one.
"""
import json
import sys
import threading
import time

from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import StorageCommitmentPushModel

COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"


def main(argv):
    listen_after = 0.0
    if "--listen-after" in argv:
        i = argv.index("--listen-after")
        listen_after = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    host, port, called, listen_port, aet = argv[0], int(argv[1]), argv[2], int(argv[3]), argv[4]
    references = [reference.split(":") for reference in argv[5:]]
    received = {}
    done = threading.Event()

    def on_report(event):
        info = event.event_information
        # This side acts as SCU on the context when the requestor took the SCP role.
        context = next(cx for cx in event.assoc.accepted_contexts if cx.context_id == event.context.context_id)
        role = context.as_scu and not context.as_scp
        received["report"] = {
            "transaction": str(info.TransactionUID),
            "event_type": event.event_type,
            "committed": [str(item.ReferencedSOPInstanceUID) for item in info.get("ReferencedSOPSequence", [])],
            "failed": [[str(item.ReferencedSOPInstanceUID), int(item.FailureReason)] for item in info.get("FailedSOPSequence", [])],
            "requestor_took_scp_role": bool(role),
            "calling_ae": event.assoc.requestor.ae_title,
        }
        done.set()
        return 0x0000, None

    request = Dataset()
    request.TransactionUID = "2.25.%d" % int(time.time() * 1e6)
    items = []
    for sop_class, sop_instance in references:
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        items.append(item)
    request.ReferencedSOPSequence = items

    ae = AE(ae_title=aet)
    ae.add_requested_context(StorageCommitmentPushModel)
    assoc = ae.associate(host, port, ae_title=called)
    if not assoc.is_established:
        print(json.dumps({"error": "association not established"}), flush=True)
        return 1
    status, _ = assoc.send_n_action(request, 1, StorageCommitmentPushModel, COMMITMENT_INSTANCE)
    assoc.release()
    result = {"action_status": None if status is None else int(status.Status), "transaction": str(request.TransactionUID)}

    time.sleep(listen_after)
    listener = AE(ae_title=aet)
    listener.add_supported_context(StorageCommitmentPushModel, scu_role=False, scp_role=True)
    server = listener.start_server(("127.0.0.1", listen_port), block=False, evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)])
    done.wait(60)
    time.sleep(0.2)  # let the N-EVENT-REPORT-RSP go before the server stops
    server.shutdown()
    result["report"] = received.get("report")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
