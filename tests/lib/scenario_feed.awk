# Turns the engine's scenarios (tests/engine/scenarios/*.txt, format in their README) into what
# the database path takes, for tests/db/scenarios.sh: one directory per scenario, OUT/NNN, with
#   name      the scenario's name, as itinerary_test.ok heads its reply
#   skip      why the scenario cannot go through itinerad-db query (then nothing else matters)
#   conf      the config lines of its "set" and "template" lines
#   zone, now, updated, lang   its time zone, query time and newest event (local), language
#   events    one feed event a line, "LOCAL-TIME CELL|mcc MCC": a row's first and last seen (one
#             event when they are equal) at the cell of its region code, or with its MCC (a
#             code below 1000 is a country, as the engine takes it)
#   risk      its risk list, as the risk feed (risk_area) takes it
# "many N" takes the first N cities of CITIES (a file of the engine's domestic city codes, in
# code order). Run with -v out=OUT -v cities=CITIES on the scenario files.
function flush() {
	if (dir == "")
		return
	if (rows == 0)
		no("no presence row: itinerad-db query answers no such subscriber")
	if (skip != "")
		print skip > (dir "/skip")
	print zone > (dir "/zone")
	print now > (dir "/now")
	print (updated != "" ? updated : now) > (dir "/updated")
	print lang > (dir "/lang")
	close(dir "/skip"); close(dir "/zone"); close(dir "/now"); close(dir "/updated")
	close(dir "/lang"); close(dir "/conf"); close(dir "/events"); close(dir "/risk")
}
function no(reason) {
	if (skip == "")
		skip = reason
}
function event(date, time, code, mcc) {
	if (length(time) == 5)
		time = time ":00"
	print date " " time " " (mcc || code + 0 < 1000 ? "mcc " code + 0 : code) > (dir "/events")
}
function later(hm, s,    a) {	# "HH:MM" and s seconds later, "HH:MM:SS"
	split(hm, a, ":")
	s += a[1] * 3600 + a[2] * 60
	return sprintf("%02d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60)
}
function row(date, times, code, mcc,    t) {
	if (index(times, "..")) {
		split(times, t, /\.\./)
		event(date, t[1], code, mcc)
		event(date, t[2], code, mcc)
	} else {
		event(date, times, code, mcc)
	}
}
BEGIN {
	n = 0
	while ((getline c < cities) > 0)
		city[++num_cities] = c
}
/^#/ || /^$/ { next }
/^== / {
	flush()
	dir = sprintf("%s/%03d", out, ++n)
	system("mkdir -p " dir)
	print substr($0, 4) > (dir "/name")
	close(dir "/name")
	skip = updated = ""
	zone = "Asia/Shanghai"
	lang = "zh"
	now = ""
	rows = 0
	next
}
/^[0-9]/ { row($1, $2, $NF, $3 == "mcc"); rows++; next }
$1 == "many" {
	split($4, t, /\.\./)
	for (i = 1; i <= $2; i++)
		row($3, later(t[1], i - 1) ".." later(t[2], i - 1), city[i], 0)
	rows++
	next
}
$1 == "now" { now = $2 " " $3; next }
$1 == "updated" { updated = $2 " " $3; next }
$1 == "lang" { lang = $2; next }
$1 == "mask" && $2 == "138****0001" { next }
$1 == "mask" { no("the reply without a number: the database has the MSISDN of whoever it knows"); next }
$1 == "show" { no("its parts: itinerad-db query --parts prints the SMS parts, not head and items"); next }
$1 == "text" { no("a text other than the reply to a query"); next }
$1 == "from" { no("SMSC addresses, no database involved"); next }
$1 == "risk" { print $2 ",medium," $3 "," $4 > (dir "/risk"); next }
$1 == "set" {
	if ($2 == "time_zone")
		zone = $3
	print "[service]\n" $2 " = " $3 > (dir "/conf")
	next
}
$1 == "template" {
	text = $0
	sub(/^template [a-z]+ [a-z_]+ /, "", text)
	gsub(/\\/, "\\\\", text)
	gsub(/"/, "\\\"", text)
	gsub(/\\\\n/, "\\n", text)
	print "[templates " $2 "]\n" $3 " = \"" text "\"" > (dir "/conf")
	next
}
{ print "unknown scenario line: " $0 > "/dev/stderr"; exit 1 }
END {
	flush()
}
