#!/usr/bin/env python3
"""Runs commands on an Osmocom VTY (telnet on 127.0.0.1) in enable mode, for sim/network.sh and
the tests. Prints each command's answer without the echo and the prompts. Reads up to the next
prompt rather than sleeping, so it is as fast as the daemon. It only talks to the VTY: starting
and stopping daemons is network.sh's business.

usage: osmo_vty.py [--wait SECONDS] PORT [COMMAND...]
  --wait: retry connecting until the VTY answers (no COMMAND: just wait).
exit: 0 ok, 1 the VTY did not take a command ("% Unknown command." and the like; other "%"
lines are ordinary answers), 2 no VTY answered.
"""
import re
import socket
import sys
import time

IAC = 255
REFUSALS = ("% Unknown command", "% Command incomplete", "% There is no matched command",
            "% Ambiguous command", "% Invalid")


def strip_telnet(data):
    """Drops telnet negotiation (IAC WILL/WONT/DO/DONT x, IAC SB ... IAC SE)."""
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] != IAC:
            out.append(data[i])
            i += 1
        elif i + 1 < len(data) and data[i + 1] == 250:
            end = data.find(bytes([IAC, 240]), i + 2)
            i = len(data) if end < 0 else end + 2
        else:
            i += 3
    return bytes(out)


class Vty:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        banner = self.read_until(re.compile(rb"\r?\n?([^\r\n]+)> $"))
        self.host = re.escape(re.search(rb"([^\r\n]+)> $", banner).group(1))

    def read_until(self, pattern):
        while True:
            m = pattern.search(self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("VTY closed the connection")
            self.buf = strip_telnet(self.buf + data)

    def command(self, cmd):
        self.sock.sendall(cmd.encode() + b"\n")
        prompt = re.compile(rb"\r?\n?" + self.host + rb"(\([^)]*\))?[>#] $")
        out = self.read_until(prompt)
        out = prompt.sub(b"", out).decode(errors="replace").replace("\r", "")
        lines = out.split("\n")
        if lines and lines[0].strip() == cmd.strip():
            lines = lines[1:]
        return "\n".join(lines)


def main(argv):
    wait = 0.0
    if len(argv) > 2 and argv[1] == "--wait":
        wait = float(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    port = int(argv[1])
    deadline = time.monotonic() + wait
    while True:
        try:
            vty = Vty(port, 5)
            break
        except (OSError, ConnectionError) as e:
            if time.monotonic() >= deadline:
                sys.stderr.write("osmo_vty.py: no VTY on 127.0.0.1:%d: %s\n" % (port, e))
                return 2
            time.sleep(0.1)
    rc = 0
    for cmd in ["enable"] + argv[2:]:
        out = vty.command(cmd)
        if out:
            print(out)
        if any(line.startswith(REFUSALS) for line in out.split("\n")):
            rc = 1
    vty.sock.close()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
