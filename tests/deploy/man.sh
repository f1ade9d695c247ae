#!/bin/sh
# The manual pages (issue 22): itinerad(8), itinerad-db(8), itinerad-sample(1) and the built
# itinerad.conf(5) format without a warning, as lintian formats them (man --warnings; groff
# -ww); itinerad.conf(5) names every option of `itinerad --config-reference` in its section,
# itinerad(8) every long option of itinerad --help, itinerad-db(8) every command and option of
# itinerad-db's usage, itinerad-sample(1) every option of its usage. Prints what is missing;
# exits 1 if anything is.
set -u
pages="$top_srcdir/doc/man/itinerad.8 $top_srcdir/doc/man/itinerad-db.8 $top_srcdir/doc/man/itinerad-sample.1
	$top_builddir/doc/man/itinerad.conf.5"
work=$(mktemp -d /tmp/itin-man.XXXXXX) || exit 99
trap 'rm -rf "$work"' EXIT
fail=0

for page in $pages; do
	[ -f "$page" ] || { echo "no $page"; fail=1; continue; }
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" \
		> /dev/null 2> "$work/warnings"
	if [ -s "$work/warnings" ]; then
		echo "$(basename "$page"): warnings:"
		cat "$work/warnings"
		fail=1
	fi
done

# "[section]" then its keys, as "section key" lines, from the reference and from the page.
"$top_builddir/itinerad" --config-reference |
	awk '/^\[/ { s = $0; next } NF { print s, $1 }' > "$work/reference"
sed 's/\\-/-/g' "$top_builddir/doc/man/itinerad.conf.5" |
	awk '/^\.SS / { s = substr($0, 5); next } /^\.B / && s { print s, $2 }' > "$work/page"
[ -s "$work/reference" ] || { echo "no --config-reference"; fail=1; }
if ! cmp -s "$work/reference" "$work/page"; then
	echo "itinerad.conf(5) and --config-reference differ:"
	diff -u "$work/reference" "$work/page"
	fail=1
fi

# Each word of $2 (options, commands) appears in page $1.
names_in() {
	for name in $2; do
		sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1" | grep -q -e "$name" ||
			{ echo "$(basename "$1"): $name missing"; fail=1; }
	done
}
names_in "$top_srcdir/doc/man/itinerad.8" \
	"$("$top_builddir/itinerad" --help | grep -o -e '--[a-z-]*' -e ' -[a-zA-Z]\b')"
usage=$("$top_builddir/itinerad-db" 2>&1)
names_in "$top_srcdir/doc/man/itinerad-db.8" \
	"$(printf '%s\n' "$usage" | grep -o -e '--[a-z-]*' -e '^  [a-z-]*' -e 'cells|events|risk' | tr '|' '\n')"
names_in "$top_srcdir/doc/man/itinerad-sample.1" \
	"$("$top_builddir/itinerad-sample" 2>&1 | grep -o -e '--[a-z-]*')"
exit $fail
