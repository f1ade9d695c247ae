"""Scrapes itinerad's /metrics every 0.25 s until killed (the fault tests run it in the
background). usage: scrape_metrics.py URL OUT NAME...
Each line of OUT: the Unix time, then each NAME's value summed over its labels, or the time
and "down" when the endpoint did not answer."""
import sys
import time
import urllib.request

url, out_path, names = sys.argv[1], sys.argv[2], sys.argv[3:]
out = open(out_path, "w", buffering=1)
while True:
    try:
        text = urllib.request.urlopen(url, timeout=2).read().decode()
        values = dict.fromkeys(names, 0.0)
        for line in text.splitlines():
            name = line.split("{")[0].split(" ")[0]
            if name in values:
                values[name] += float(line.rsplit(" ", 1)[1])
        out.write("%.3f %s\n" % (time.time(), " ".join("%g" % values[n] for n in names)))
    except OSError:
        out.write("%.3f down\n" % time.time())
    time.sleep(0.25)
