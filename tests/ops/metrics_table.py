# /metrics right after the start against the manual's metric table (tests/ops/logs.sh): the
# families served, those without a sample, and the differences with the table.
# usage: metrics_table.py URL MANUAL
import re, sys, urllib.request

text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
families = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
samples = {f: 0 for f in families}
for line in text.splitlines():
    if line.startswith("#"):
        continue
    name = re.match(r"[a-z_]+", line).group(0)
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    samples[name if name in families else base] += 1
table = set(re.findall(r"^\| `(itinerad_[a-z_]+)` \| (?:gauge|counter|histogram) \|",
                       open(sys.argv[2]).read(), re.M))
print("families served: %d" % len(families))
print("without a sample:", " ".join(sorted(f for f, n in samples.items() if not n)) or "none")
print("served, not in the manual:", " ".join(sorted(set(families) - table)) or "none")
print("in the manual, not served:", " ".join(sorted(table - set(families))) or "none")
