"""A TCP proxy for outage tests: forwards connections on LISTEN_PORT to 127.0.0.1:TARGET_PORT.
Killing it cuts the link (connections refused, those open reset); starting it again mends it.
With BYTES_PER_SECOND, each direction of each connection is held to that rate: a slow link.

Usage: python3 tcp_proxy.py LISTEN_PORT TARGET_PORT [BYTES_PER_SECOND]
"""
import socket
import sys
import threading
import time


def pipe(source, sink, rate):
    try:
        while True:
            data = source.recv(16384)
            if not data:
                break
            sink.sendall(data)
            if rate:
                time.sleep(len(data) / rate)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(64)
    while True:
        client, _ = server.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", target_port))
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b, rate), daemon=True).start()


main()
