#!/usr/bin/env python3
"""Seeds for the PDU fuzz target: the bytes both sides send in real pynetdicom associations
(echo, store with user identity, role selection, extended negotiation, async window, release
and abort), recorded through a loopback proxy. Each PDU is one seed, each whole stream another.
Usage: make-pdu-seeds.py OUTPUT_DIR"""
import hashlib, os, socket, sys, threading
from pydicom.data import get_testdata_file
from pydicom import dcmread
from pynetdicom import AE, evt, build_role
from pynetdicom.sop_class import Verification, CTImageStorage
from pynetdicom.pdu_primitives import (UserIdentityNegotiation, AsynchronousOperationsWindowNegotiation,
                                       SOPClassExtendedNegotiation)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def save(data):
    if data:
        with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)

def split(stream):
    at = 0
    while at + 6 <= len(stream):
        length = int.from_bytes(stream[at + 2:at + 6], "big")
        save(stream[at:at + 6 + length])
        at += 6 + length

def pump(src, dst, record):
    while chunk := src.recv(65536):
        record.append(chunk)
        dst.sendall(chunk)
    dst.shutdown(socket.SHUT_WR)

def proxy(listener, target):
    client, _ = listener.accept()
    server = socket.create_connection(("127.0.0.1", target))
    up, down = [], []
    threads = [threading.Thread(target=pump, args=(client, server, up)),
               threading.Thread(target=pump, args=(server, client, down))]
    for t in threads: t.start()
    for t in threads: t.join()
    for stream in (b"".join(up), b"".join(down)):
        save(stream)
        split(stream)

scp = AE(ae_title="LIFEBOAT")
scp.add_supported_context(Verification)
scp.add_supported_context(CTImageStorage, scp_role=True, scu_role=True)
scp.maximum_pdu_size = 4096
server = scp.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, lambda e: 0x0000)])
target = server.server_address[1]

dataset = dcmread(get_testdata_file("CT_small.dcm"))

def session(configure, body):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    thread = threading.Thread(target=proxy, args=(listener, target))
    thread.start()
    ae = AE(ae_title="MODALITY")
    ae.add_requested_context(Verification)
    ae.add_requested_context(CTImageStorage)
    ae.maximum_pdu_size = 8192
    extra = configure()
    assoc = ae.associate("127.0.0.1", listener.getsockname()[1], ae_title="LIFEBOAT", ext_neg=extra)
    if assoc.is_established:
        body(assoc)
    thread.join()
    listener.close()

def identity(kind, primary, secondary=b""):
    item = UserIdentityNegotiation()
    item.user_identity_type = kind
    item.primary_field = primary
    item.secondary_field = secondary
    item.positive_response_requested = True
    return [item]

def window():
    item = AsynchronousOperationsWindowNegotiation()
    item.maximum_number_operations_invoked = 4
    item.maximum_number_operations_performed = 4
    return [item, build_role(CTImageStorage, scu_role=True, scp_role=True)]

def extended():
    item = SOPClassExtendedNegotiation()
    item.sop_class_uid = CTImageStorage
    item.service_class_application_information = b"\x01\x00\x01"
    return [item]

session(lambda: [], lambda a: (a.send_c_echo(), a.release()))
session(lambda: identity(2, b"radiologist", b"secret"), lambda a: (a.send_c_store(dataset), a.release()))
session(lambda: identity(1, b"radiologist"), lambda a: a.abort())
session(lambda: identity(3, b"kerberos-ticket"), lambda a: a.release())
session(lambda: identity(5, b"jwt.token.here"), lambda a: a.release())
session(window, lambda a: (a.send_c_echo(), a.release()))
session(extended, lambda a: (a.send_c_store(dataset), a.release()))
server.shutdown()
print(f"{len(os.listdir(out))} seeds in {out}")
