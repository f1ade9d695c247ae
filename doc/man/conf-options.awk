# Turns `itinerad --config-reference` into the roff of itinerad.conf(5)'s option list (the
# lines of doc/man/itinerad.conf.5.in after @OPTIONS@), so the page lists exactly the options
# the program has. A reference line is "  KEY TYPE default: VALUE DOC"; a type may hold spaces,
# a value does not (except "(built-in text)").
function roff(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	sub(/^[.']/, "\\\\&&", s)
	return s
}
/^\[/ {
	printf ".SS %s\n", roff($0)
	next
}
/ default: / {
	at = index($0, " default: ")
	head = substr($0, 1, at - 1)
	rest = substr($0, at + 10)
	sub(/^ +/, "", head)
	key = head
	sub(/ .*/, "", key)
	type = substr(head, length(key) + 1)
	sub(/^ +/, "", type)
	sub(/ +$/, "", type)
	if (rest ~ /^\(built-in text\)/) {
		value = "(built-in text)"
		doc = substr(rest, length(value) + 1)
	} else {
		value = rest
		sub(/ .*/, "", value)
		doc = substr(rest, length(value) + 1)
	}
	sub(/^ +/, "", doc)
	printf ".TP\n.B %s\n", roff(key)
	printf "%s, default \\fB%s\\fR.\n", roff(type), roff(value)
	printf "%s\n", roff(doc)
}
