#!/bin/sh
# The embedded database when itinerad-db runs as root (issue 9's demo from a checkout under
# /root): PostgreSQL then runs as the postgres user, which must reach <var_dir>/pg. A var_dir
# that does not exist yet is created open to it; one under a directory closed to others gets
# pgcluster.sh's reason, not only "see postgres.log"; a var_dir reached through a symbolic
# link (what contrib/demo.sh makes under /root) starts and stops by its link path; a cluster
# started by a service user (as the units run it) takes that user's connections, not root's
# (peer authentication, issue 17 finding 8). Each step
# starts a cluster of its own (unix socket only, no port). The transcript must equal
# embedded.ok. Skipped when not run as root.
set -u
[ "$(id -u)" = 0 ] || exit 77
work=$(mktemp -d /tmp/itin-embedded.XXXXXX)
chmod 755 "$work"
out="$work/out"
trap 'for d in "$work"/open/pg "$work"/target/pg; do sh "$top_srcdir/sql/pgcluster.sh" stop "$d"; done
	[ -d "$work/svc/var/pg" ] && runuser -u nobody -- sh "$work/svc/bin/pgcluster.sh" stop "$work/svc/var/pg"
	rm -rf "$work"' EXIT
db="$top_builddir/itinerad-db"

conf() {	# var_dir
	printf '[privacy]\nhmac_secret = test-secret-of-the-embedded-test-6d2b9f0e41c8a75d3e0b9c6f12a4e87d\n[database]\nvar_dir = %s\n[feed]\nmax_refused_percent = 100\n' \
		"$1" > "$work/itinerad.conf"
}
run() {	# as the OS user $as, if set
	echo "\$ ${as:+$as: }itinerad-db $*"
	ITINERAD_CONFIG="$work/itinerad.conf" ${as:+runuser -u $as --} "$db" "$@" > "$work/run.out" 2>&1
	rc=$?
	sed "s|$work|WORK|g; s|from /.*|from DATA|" "$work/run.out" | grep -v "^migrate: applied"
	[ $rc -eq 0 ] || echo "(exit status $rc)"
}

{
	echo "# a var_dir that does not exist yet"
	conf "$work/open"
	run migrate
	stat -c 'var_dir mode %a' "$work/open"
	stat -c 'pg owner %U' "$work/open/pg"

	echo "# a var_dir under a directory closed to others"
	mkdir -m 700 "$work/closed"
	conf "$work/closed/var"
	run migrate

	echo "# the same, var_dir a link to a directory the postgres user can reach"
	mkdir -m 755 "$work/target"
	rm -r "$work/closed/var"
	ln -s "$work/target" "$work/closed/var"
	run migrate
	sh "$top_srcdir/sql/pgcluster.sh" stop "$work/closed/var/pg"
	[ -f "$work/target/pg/data/postmaster.pid" ] || echo "stopped through the link"

	echo "# a cluster of the service's OS user (the units' itinerad; here nobody): peer"
	echo "# authentication lets it, and nobody else, connect as the owner and the two roles"
	mkdir -m 755 "$work/svc" "$work/svc/bin"
	cp "$db" "$top_srcdir/sql/pgcluster.sh" "$work/svc/bin/"
	cp -r "$top_srcdir/data" "$work/svc/bin/data"
	# the feed too: the checkout may be closed to others (a clone under mktemp -d is 0700)
	mkdir -p "$work/svc/bin/tests/db"
	cp "$top_srcdir/tests/db/cells.csv" "$work/svc/bin/tests/db/"
	chmod -R a+rX "$work/svc/bin"
	chown nobody: "$work/svc"
	conf "$work/svc/var"
	chmod 644 "$work/itinerad.conf"
	db="$work/svc/bin/itinerad-db"
	export ITINERAD_PGCLUSTER="$work/svc/bin/pgcluster.sh" ITINERAD_DATA_DIR="$work/svc/bin/data"
	as=nobody run migrate
	as=nobody run load cells "$work/svc/bin/tests/db/cells.csv" |
		sed "s|$work/svc/bin/||; s|WORK/svc/bin/||" | grep -v " lines/s$"
	echo 8613800000001 | as=nobody run query --msisdn -
	grep -v '^#' "$work/svc/var/pg/data/pg_hba.conf"
	grep -v '^#' "$work/svc/var/pg/data/pg_ident.conf"
	echo 8613800000001 | run query --msisdn -
} > "$out" 2>&1

# ITIN_UPDATE_GOLDEN=1 rewrites the expected transcript (review the diff before committing it).
[ -n "${ITIN_UPDATE_GOLDEN:-}" ] && cp "$out" "$srcdir/tests/db/embedded.ok"
diff -u "$srcdir/tests/db/embedded.ok" "$out"
