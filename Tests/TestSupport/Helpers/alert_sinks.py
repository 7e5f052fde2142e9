#!/usr/bin/env python3
"""Where the alert tests' alerts land, each written as one JSON line to FILE as it arrives.

  alert_sinks.py webhook PORT FILE [STATUS]
      An HTTP server: each POST's JSON body is a line; answered STATUS (default 204).
  alert_sinks.py smtp PORT FILE
      An SMTP server (aiosmtpd): each message as {"from", "to", "subject", "body"}.
  alert_sinks.py syslog PORT FILE
      A UDP syslog collector (RFC 5426): each datagram as {"message"}.
Prints "listening" once it is.
"""
import json
import socket
import sys
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def append(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def webhook(port, path, status=204):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            append(path, {"content_type": self.headers.get("Content-Type"), "body": json.loads(body)})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()


def smtp(port, path):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = message_from_bytes(envelope.original_content)
            append(path, {"from": envelope.mail_from, "to": envelope.rcpt_tos,
                          "subject": str(make_header(decode_header(message["Subject"]))),
                          "body": message.get_payload(decode=True).decode("utf-8")})
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("listening", flush=True)
    while True:
        time.sleep(3600)


def syslog(port, path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print("listening", flush=True)
    while True:
        data, _ = sock.recvfrom(65535)
        append(path, {"message": data.decode("utf-8")})


if __name__ == "__main__":
    mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "webhook":
        webhook(port, path, int(sys.argv[4]) if len(sys.argv) > 4 else 204)
    elif mode == "smtp":
        smtp(port, path)
    else:
        syslog(port, path)
