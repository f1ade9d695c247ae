#!/bin/sh
# The Prometheus alerting rules of contrib/prometheus (issue 22): promtool, of Debian's
# prometheus package (contrib/install-deps.sh installs it), checks them and runs their unit
# tests, tests/ops/rules.test.yml. Without promtool the test is an error, not a skip: the rules
# would go out unchecked.
set -u
command -v promtool > /dev/null ||
	{ echo "promtool missing: install the Debian package prometheus (contrib/install-deps.sh)"; exit 99; }
promtool check rules "$top_srcdir/contrib/prometheus/itinerad.rules.yml" || exit 1
promtool test rules "$srcdir/tests/ops/rules.test.yml" || exit 1
