#!/bin/sh
# README's walk-throughs of one SMS and one USSD session (issue 18) name files that exist, and
# the SMS one says how many C files it crosses: the distinct ones of its numbered list. Prints
# them in the order they are first named.
set -u
readme="$top_srcdir/README.md"
sms=$(sed -n '/^## One SMS, socket to reply/,/^That is /p' "$readme")
ussd=$(sed -n '/^USSD (/,/^$/p' "$readme")
rc=0
[ -n "$sms" ] && [ -n "$ussd" ] || { echo "README: walk-throughs not found"; exit 1; }
named=$(printf '%s\n%s\n' "$sms" "$ussd" | grep -o '`[a-z]*/[a-z0-9_/]*\.\(c\|sql\)`' | tr -d '`')
for f in $(printf '%s\n' "$named" | sort -u); do
	[ -f "$top_srcdir/$f" ] || { echo "README names $f, which does not exist"; rc=1; }
done
files=$(printf '%s\n' "$sms" | grep -o '`[a-z]*/[a-z0-9_]*\.c`' | tr -d '`' | awk '!seen[$0]++')
count=$(printf '%s\n' "$files" | wc -l)
printf '%s\n' "$files"
echo "one SMS crosses $count C files"
said=$(printf '%s\n' "$sms" | sed -n 's/^That is \([0-9]*\) C files.*/\1/p')
[ "$said" = "$count" ] || { echo "README says $said C files, its list names $count"; rc=1; }
exit $rc
