"""Attacks on itinerad's admin endpoint for tests/abuse/admin.sh, and the checks around them.
Each command prints outcomes only (statuses, texts, yes/no against a bound), never a timing.
usage: admin_attack.py COMMAND PORT ARGS...
  slowloris PORT N READY  N connections that send a request's headers a line a second and
                          never finish them, each reopened when the daemon closes it; READY
                          is created once all N were tried; runs until SIGTERM (or 120 s)
  huge PORT PIDFILE MB    one connection sending header lines, up to MB megabytes, until the
                          daemon answers; prints its status and whether the daemon's RSS grew
                          by less than 16 MB
  trickle PORT            one request whose headers come a line a second for up to 10 s:
                          whether the daemon closed the connection before they ended
  get PORT PATH           GET PATH (10 s at most): its status and body
  metrics PORT LIMIT      the admin metrics against LIMIT, and the SMPP binds"""
import os
import resource
import select
import signal
import socket
import sys
import time
import urllib.error
import urllib.request


def rss_kb(pidfile):
    pid = open(pidfile).read().strip()
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def slowloris(port, n, ready):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    socks = [None] * n

    def open_one(i):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return
        socks[i] = [s, False]

    for i in range(n):
        open_one(i)
    open(ready, "w").close()
    end = time.time() + 120
    while time.time() < end:
        for i in range(n):
            if socks[i] is None:
                open_one(i)
                continue
            s, started = socks[i]
            try:
                r, _, _ = select.select([s], [], [], 0)
                if r and not s.recv(4096):
                    raise ConnectionResetError
                s.send(b"X-Slow: 1\r\n" if started else b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
                socks[i][1] = True
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                socks[i] = None
        time.sleep(1)


def huge(port, pidfile, mb):
    before = rss_kb(pidfile)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
    line = b"X-Pad: " + b"a" * 1000 + b"\r\n"
    sent, answer, end = 0, b"", time.time() + 20
    try:
        while sent < mb << 20 and time.time() < end:
            r, w, _ = select.select([s], [s], [], 1)
            if r:
                break
            if w:
                s.sendall(line * 4)
                sent += 4 * len(line)
    except OSError:
        pass    # the daemon closed: its answer may be waiting all the same
    try:
        s.settimeout(5)
        answer = s.recv(200)
    except OSError:
        pass
    status = answer.split(b"\r\n")[0].decode() if answer else "no answer"
    grew = rss_kb(pidfile) - before
    print("huge headers: %s; the daemon's RSS grew by less than 16 MB: %s"
          % (status, "yes" if grew < 16 << 10 else "no"))


def trickle(port):
    s = socket.create_connection(("127.0.0.1", port))
    closed = "no"
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        for _ in range(10):
            time.sleep(1)
            s.sendall(b"X-Slow: 1\r\n")
    except OSError:
        closed = "yes"
    print("headers a line a second for 10 s: closed by the daemon: %s" % closed)


def get(port, path, show=True):
    try:
        r = urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10)
        status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    except OSError as e:
        print("GET %s: no answer (%s)" % (path, type(e).__name__))
        return None
    print("GET %s: %d%s" % (path, status,
                           " " + body.decode().strip().replace("\n", " | ") if show else ""))
    return body.decode()


def metrics(port, limit):
    text = get(port, "/metrics", False)
    if text is None:
        return
    values = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    open_now = values.get("itinerad_admin_connections", -1)
    print("itinerad_admin_connections_limit %g" % values.get("itinerad_admin_connections_limit", -1))
    print("itinerad_admin_connections within the limit: %s"
          % ("yes" if 0 < open_now <= limit else "no"))
    print("itinerad_admin_connections_closed_total{reason=\"limit\"} above 0: %s"
          % ("yes" if values.get('itinerad_admin_connections_closed_total{reason="limit"}', 0) > 0
             else "no"))
    for name in ("itinerad_admin_accept_errors_total",
                 'itinerad_smpp_binds_total{link="test-smsc"}'):
        print("%s %g" % (name, values.get(name, -1)))


cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "slowloris":
    slowloris(port, int(sys.argv[3]), sys.argv[4])
elif cmd == "huge":
    huge(port, sys.argv[3], int(sys.argv[4]))
elif cmd == "trickle":
    trickle(port)
elif cmd == "get":
    get(port, sys.argv[3])
elif cmd == "metrics":
    metrics(port, int(sys.argv[3]))
sys.stdout.flush()
os._exit(0)
