#!/bin/sh
# throttling and queue-full statuses are retried; other statuses are final
. "$top_srcdir/tests/smpp/lib.sh"
smpp_case throttled 24061 3
