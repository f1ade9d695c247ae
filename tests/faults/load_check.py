"""The checker of tests/faults/load.sh: reads what the SMSC load generator saw (its --faults
log), when the test made each fault (phases), what itinerad's /metrics said during the run
(metrics) and the audit counts, and prints the summary that load.ok holds: only yes/no
answers and names, which do not depend on timing. The figures behind them (counts, maxima)
go to FIGURES, for the test's log.

usage: load_check.py LOG PHASES METRICS AUDIT FIGURES
  PHASES: lines "NAME START END" (Unix seconds); METRICS: lines "T in_flight queued
  outstanding db_in_flight" or "T down"; AUDIT: "answered_rows distinct_keys"."""
import sys
from collections import defaultdict

TEMPORARY = 0x64                # ESME_RX_T_APPN, itinerad's temporary error
SMSC_TIMEOUT_MS = 5000          # osmo-msc gives up on a deliver_sm after 5 s
BUSY = "查询人数较多"             # the busy text (SPEC section 5)
BOUNDS = {"requests in flight": 3000, "submit_sm queued": 3000,
          "submit_sm outstanding": 3000, "database statements in flight": 4096}
MIN_SCRAPES = 50


def text(dcs, hexdata):
    data = bytes.fromhex(hexdata)
    return data.decode("utf-16-be", "replace") if dcs == 8 else data.decode("latin-1")


def yes(b):
    return "yes" if b else "no"


def main(log, phases_file, metrics_file, audit_file, figures_file):
    delivers = defaultdict(int)
    resps = defaultdict(list)       # msisdn -> [(t, status, ms)]
    lost = defaultdict(int)
    parts = defaultdict(list)       # msisdn -> [(t, part, total, dcs, hex, conn)]
    binds, closed, end = [], [], None
    for line in open(log):
        f = line.split()
        if f[0] == "deliver":
            delivers[f[2]] += 1
        elif f[0] == "resp":
            resps[f[2]].append((float(f[1]), int(f[3], 16), float(f[4])))
        elif f[0] == "lost":
            lost[f[2]] += 1
        elif f[0] == "part":
            parts[f[2]].append((float(f[1]), int(f[3]), int(f[4]), int(f[5]), f[6], int(f[7])))
        elif f[0] == "bind":
            binds.append(float(f[1]))
        elif f[0] == "closed":
            closed.append((float(f[1]), f[3]))
        elif f[0] == "end":
            end = (int(f[3]), int(f[5]))
    phases = {}
    for line in open(phases_file):
        name, start, stop = line.split()
        phases[name] = (float(start), float(stop))
    asked = set(delivers)

    def during(name, t, after=0.0):
        start, stop = phases[name]
        return start <= t <= stop + after

    def bound_again_after(name, why):
        start, _ = phases[name]
        cuts = [t for t, w in closed if w == why and t >= start]
        return bool(cuts) and any(t > cuts[0] for t in binds)

    # Every deliver_sm got a response or was lost with its connection; every request was
    # acknowledged in the end (the generator delivers again after an error or a loss).
    outcomes = all(delivers[m] == len(resps[m]) + lost[m] for m in asked)
    acked = {m for m in asked if any(s == 0 for _, s, _ in resps[m])}
    statuses = {s for m in resps for _, s, _ in resps[m]} - {0, TEMPORARY}
    slowest = max((ms for m in resps for _, _, ms in resps[m]), default=0.0)

    # Replies: parts by (number, count); a copy is the same part again, byte for byte. The
    # busy text answers a request the database did not record in time; if it records it
    # after all, its reply follows: one reply besides the busy text.
    whole, conflicting, copies, copies_later = set(), set(), 0, True
    busy, recorded, busy_asked = defaultdict(bool), set(), set()
    for m, ps in parts.items():
        contents = defaultdict(set)
        first_conn = {}
        for t, part, total, dcs, data, conn in ps:
            key = (part, total, dcs, data)
            if key in first_conn:
                copies += 1
                copies_later = copies_later and conn > first_conn[key]
            else:
                first_conn[key] = conn
            if BUSY in text(dcs, data):
                busy_asked.add(m)
                for name in phases:
                    busy[name] = busy[name] or during(name, t, 2.5)
                continue
            contents[(part, total)].add((dcs, data))
        totals = {total for _, total in contents}
        if len(totals) > 1 or any(len(c) > 1 for c in contents.values()):
            conflicting.add(m)
        elif all((p, t) in contents for t in totals for p in range(1, t + 1)):
            whole.add(m)
            if contents:
                recorded.add(m)
    unasked = set(parts) - asked

    samples = [l.split() for l in open(metrics_file)]
    up = [list(map(float, s[1:])) for s in samples if len(s) == 5]
    maxima = dict(zip(BOUNDS, (max((u[i] for u in up), default=0) for i in range(4))))
    bounded = all(maxima[k] <= BOUNDS[k] for k in BOUNDS)
    answered_rows, keys, busy_keys = map(int, open(audit_file).read().split())

    print("PostgreSQL stopped: the busy text: %s" % yes(busy["postgres-stopped"]))
    print("SMSC link cut: itinerad bound again: %s" % yes(bound_again_after("link-cut", "cut")))
    print("itinerad killed with SIGKILL and restarted: bound again: %s"
          % yes(bound_again_after("itinerad-killed", "esme")))
    print("request_pending locked (requests cannot be recorded): the busy text: %s"
          % yes(busy["recording-locked"]))
    print("presence_recent locked: the busy text: %s" % yes(busy["lookup-locked"]))
    print("every deliver_sm answered or lost with its connection: %s" % yes(outcomes))
    print("every deliver_sm_resp within %d s: %s" % (SMSC_TIMEOUT_MS // 1000,
                                                     yes(slowest < SMSC_TIMEOUT_MS)))
    print("statuses other than 0 and 0x%x: %s" % (TEMPORARY, ", ".join("0x%x" % s for s in
                                                                    sorted(statuses)) or "none"))
    print("every request acknowledged in the end: %s" % yes(acked == asked))
    print("every acknowledged request answered, whole: %s" % yes(acked <= whole))
    print("answered with one reply (a copy identical to it) besides the busy text: %s"
          % yes(not conflicting))
    print("copies only on a later connection: %s" % yes(copies_later))
    print("replies to subscribers who did not ask: %d" % len(unasked))
    print("one answered audit row per subscriber recorded (at least every one answered with "
          "more than the busy text): %s" % yes(answered_rows == keys and len(recorded) <= keys
                                              <= len(asked)))
    print("a busy audit row for every subscriber given the busy text: %s"
          % yes(busy_keys == len(busy_asked)))
    print("metrics scraped throughout: %s" % yes(len(up) >= MIN_SCRAPES))
    print("queues bounded: %s" % yes(bounded))
    print("generator: every request completed: %s" % yes(end is not None and end[1] == 0))

    with open(figures_file, "w") as out:
        temporary = sum(s == TEMPORARY for m in resps for _, s, _ in resps[m])
        print("subscribers asking %d, deliver_sm sent %d, temporary errors %d, lost with a "
              "connection %d, slowest deliver_sm_resp %.0f ms" % (len(asked), sum(
                  delivers.values()), temporary, sum(lost.values()), slowest), file=out)
        print("replies whole %d, conflicting %d, part copies %d, binds %d, audit rows "
              "answered %d (subscribers %d), busy texts to %d subscribers (%d with a busy "
              "row)" % (len(whole), len(conflicting), copies, len(binds), answered_rows, keys,
                        len(busy_asked), busy_keys), file=out)
        print("metrics: %d scrapes (%d down); maxima: %s" % (
            len(up), len(samples) - len(up),
            ", ".join("%s %d (bound %d)" % (k, maxima[k], BOUNDS[k]) for k in BOUNDS)), file=out)
        for m in sorted(conflicting)[:5]:
            print("conflicting replies to %s: %s" % (m, parts[m]), file=out)
        for m in sorted(asked - acked)[:5]:
            print("never acknowledged: %s %s" % (m, resps[m]), file=out)
        for m in sorted(acked - whole - conflicting)[:5]:
            print("not answered: %s %s" % (m, parts.get(m)), file=out)


if __name__ == "__main__":
    main(*sys.argv[1:])
