# Sourced by the tests that install the npm packages of tests/smsc (smpp, split-sms; pinned by
# tests/smsc/package-lock.json). itin_npm_ci installs them unless they are there already: in
# tests/smsc of the source tree, as contrib/check.sh does, or, when the source tree cannot be
# written (make distcheck's), in tests/smsc-npm of the build tree, where the NODE_PATH of the
# test environment (tests/Makefile.inc) lets node find them. Returns npm's status.
itin_npm_ci() {
	npm_dir=$top_srcdir/tests/smsc
	[ -d "$npm_dir/node_modules/smpp" ] && return 0
	if [ ! -w "$npm_dir" ]; then
		npm_dir=$top_builddir/tests/smsc-npm
		[ -d "$npm_dir/node_modules/smpp" ] && return 0
		mkdir -p "$npm_dir" &&
			cat "$top_srcdir/tests/smsc/package.json" > "$npm_dir/package.json" &&
			cat "$top_srcdir/tests/smsc/package-lock.json" > "$npm_dir/package-lock.json" ||
			return 1
	fi
	npm ci --prefix "$npm_dir" --no-audit --no-fund --silent
}
