#!/usr/bin/python3
"""A TCP proxy to PostgreSQL that can lose a commit's answer (tests/ha/in_doubt.sh).

usage: cut_proxy.py PORT SOCKET ARM_FILE

Forwards each connection on 127.0.0.1:PORT to the unix socket SOCKET. Once ARM_FILE exists,
the first client packet that binds the prepared statement "begin" (itinerad's recording) is
forwarded, nothing the client sends after it is, the server's answer up to its ReadyForQuery
(sent once the transaction is committed) is dropped, and the connection is closed: the
commit happened, the client cannot know it. ARM_FILE is removed then.
"""
import os
import select
import socket
import sys
import threading

port, path, arm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
READY_IDLE = b'Z\x00\x00\x00\x05I'


def armed():
    with lock:
        if not os.path.exists(arm):
            return False
        os.unlink(arm)
        return True


def serve(client):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.connect(path)
        cutting = False
        while True:
            ready, _, _ = select.select([client, server], [], [])
            if client in ready and not cutting:
                data = client.recv(65536)
                if not data:
                    break
                cutting = b'B\x00' in data and b'\x00begin\x00' in data and armed()
                server.sendall(data)
            if server in ready:
                data = server.recv(65536)
                if not data:
                    break
                if cutting:
                    if data.endswith(READY_IDLE):
                        break
                    continue
                client.sendall(data)
    except OSError:
        pass
    client.close()
    server.close()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', port))
listener.listen(16)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
