#!/bin/sh
# The inputs that once made a fuzz harness crash or leak (tests/fuzz/regress.txt), each replayed
# through its harness built with AddressSanitizer and UndefinedBehaviorSanitizer (clang, or the
# C compiler of the build) and the plain main of tests/fuzz/replay.c, with ITIN_FUZZ_LOG set:
# the transcript (log lines, and the PDUs and frames itinerad sent) must equal
# tests/fuzz/replay.ok, so a sanitizer report or an abort shows as a difference. No TCP port.
set -u
cc=$(command -v clang || command -v "${CC:-cc}") || exit 77
here="$top_srcdir/tests/fuzz"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# regress.txt into one file per case, named HARNESS.NAME, and their list
/usr/bin/python3 - "$here/regress.txt" "$out" > "$out/cases" <<'PY' || exit 99
import sys
case = None
for line in open(sys.argv[1], encoding='utf-8').read().split('\n') + ['']:
    if line.startswith('#'):
        continue
    hexdigits = ''.join(line.split('#')[0].split())
    if not hexdigits:
        case = None
    elif case is None:
        case = line.split()
        print(*case)
        open('%s/%s.%s' % (sys.argv[2], *case), 'wb').close()
    else:
        with open('%s/%s.%s' % (sys.argv[2], *case), 'ab') as f:
            f.write(bytes.fromhex(hexdigits))
PY
for h in $(cut -d' ' -f1 "$out/cases" | sort -u); do
	# shellcheck disable=SC2046
	"$cc" -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -I"$top_srcdir" \
		$(pkg-config --cflags libosmocore libosmogsm talloc libevent libsmpp34 libpq) \
		"$here/fuzz_$h.c" "$here/replay.c" $(sh "$here/sources.sh" "$h" "$out") -o "$out/fuzz_$h" \
		$(pkg-config --libs libosmogsm libosmocore talloc libevent libsmpp34) || exit 99
done
while read -r h name; do
	echo "== $h $name"
	ITIN_FUZZ_LOG=1 ASAN_OPTIONS=detect_leaks=1 "$out/fuzz_$h" "$out/$h.$name" 2>&1 ||
		echo "exit status $?"
done < "$out/cases" > "$out/transcript"
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out/transcript" "$here/replay.ok"
diff -u "$here/replay.ok" "$out/transcript"
