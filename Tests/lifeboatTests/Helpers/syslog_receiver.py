#!/usr/bin/env python3
"""A syslog collector for the tests: receives RFC 5424 messages over UDP (RFC 5426) or
TLS (RFC 5425, octet-counted frames), checks each is a well-formed syslog message holding a
DICOM audit message (PS3.15 A.5), and prints one JSON line per message.

  syslog_receiver.py udp PORT
  syslog_receiver.py tls PORT CERT KEY
"""
import json
import re
import socket
import ssl
import sys
import xml.etree.ElementTree as ElementTree

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")
HEADER = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (.*)$", re.DOTALL)


def report(raw):
    summary = {"valid": False}
    try:
        text = raw.decode("utf-8")
        match = HEADER.match(text)
        if not match:
            summary["problem"] = "not an RFC 5424 message: " + text[:80]
        else:
            priority, timestamp, host, app, procid, msgid, structured, body = match.groups()
            if not TIMESTAMP.match(timestamp):
                summary["problem"] = "TIMESTAMP is not RFC 5424's (a full date and time with its zone): " + timestamp
            elif not body.startswith("\ufeff"):
                summary["problem"] = "UTF-8 MSG without its BOM (RFC 5424 6.4)"
            else:
                root = ElementTree.fromstring(body[1:].encode("utf-8"))
                event = root.find("EventIdentification")
                event_id = event.find("EventID")
                requestor = next(p for p in root.findall("ActiveParticipant") if p.get("UserIsRequestor") == "true")
                summary = {
                    "valid": root.tag == "AuditMessage" and root.find("AuditSourceIdentification") is not None,
                    "facility": int(priority) // 8, "severity": int(priority) % 8, "app": app, "msgid": msgid, "timestamp": timestamp,
                    "event": event_id.get("csd-code"), "eventSystem": event_id.get("codeSystemName"),
                    "action": event.get("EventActionCode"), "outcome": event.get("EventOutcomeIndicator"),
                    "user": requestor.get("UserID"), "address": requestor.get("NetworkAccessPointID"),
                    "description": (event.findtext("EventOutcomeDescription") or ""),
                    "source": root.find("AuditSourceIdentification").get("AuditSourceID"),
                }
    except Exception as error:  # reported as invalid, with why
        summary = {"valid": False, "problem": repr(error)}
    print(json.dumps(summary), flush=True)


def serve_udp(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", port))
    while True:
        data, _ = server.recvfrom(65535)
        report(data)


def serve_tls(port, cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(4)
    while True:
        connection, _ = server.accept()
        try:
            stream = context.wrap_socket(connection, server_side=True)
        except (ssl.SSLError, OSError):
            continue  # a probe that only checked the port is open, or a client that gave up
        with stream:
            buffer = b""
            while True:
                chunk = stream.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                # RFC 5425 4.3: MSG-LEN SP SYSLOG-MSG
                while b" " in buffer:
                    length, rest = buffer.split(b" ", 1)
                    if not length.isdigit():
                        print(json.dumps({"valid": False, "problem": "frame without its length"}), flush=True)
                        buffer = b""
                        break
                    if len(rest) < int(length):
                        break
                    report(rest[:int(length)])
                    buffer = rest[int(length):]


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    print(json.dumps({"listening": port}), flush=True)
    if mode == "udp":
        serve_udp(port)
    else:
        serve_tls(port, sys.argv[3], sys.argv[4])
