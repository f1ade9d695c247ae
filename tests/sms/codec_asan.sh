#!/bin/sh
# tests/sms/codec_test.c built with AddressSanitizer and UndefinedBehaviorSanitizer (clang, or
# the C compiler of the build) and compared with the same codec_test.ok: the decoders and the
# keyword parser on malformed input read and write nothing out of bounds.
set -u
cc=$(command -v clang || command -v "${CC:-cc}") || exit 77
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
"$cc" -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$top_srcdir" -I"$top_builddir" $(pkg-config --cflags libosmocore talloc) \
	"$top_srcdir/tests/sms/codec_test.c" "$top_srcdir/engine/gsm_text.c" "$top_srcdir/engine/keyword.c" \
	-o "$out/codec_test" $(pkg-config --libs libosmogsm libosmocore) || exit 99
ASAN_OPTIONS=detect_leaks=1 "$out/codec_test" > "$out/ok" 2> "$out/err" || { cat "$out/err"; exit 1; }
cat "$out/err"
diff -u "$srcdir/tests/sms/codec_test.ok" "$out/ok" && [ ! -s "$out/err" ]
