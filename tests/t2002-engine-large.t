#!/bin/sh
# Large inputs: a 100 MiB single-line file with a secret at its very end,
# and a file dense with keyword hits. Both must finish and find the secret;
# the engine's windows keep the work linear in the input size.
. "$(dirname "$0")/lib/tap.sh"

SCAN=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/scan-files
[ -x "$SCAN" ] || { echo "Bail out! $SCAN is missing: run the tests through make test"; exit 1; }

token="ghp_$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)"

# 100 MiB of one line, then the token, no newline at the end.
head -c 104857600 /dev/zero | tr '\0' 'x' > "$TMP/line.txt"
printf ' %s' "$token" >> "$TMP/line.txt"
out=$("$SCAN" -m 128M "$TMP/line.txt" 2> "$TMP/err")
is_rc $? 1 "100 MiB line: findings exit 1"
is "$(echo "$out" | cut -d' ' -f1-2)" "$TMP/line.txt:1:104857602-104857642 github-pat" \
	"100 MiB line: token at the exact line and columns"
like "$(cat "$TMP/err")" "files=1 bytes=104857641 " "100 MiB line: every byte scanned"
rm -f "$TMP/line.txt"

# 16 MiB of keyword hits of several rules, encoded values and escapes.
awk 'BEGIN { s = "token=abc password: xy AKIA aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ= %41%42 \\n\\n\" -----BEGIN eyJ ";
	while (n < 16777216) { printf "%s", s; n += length(s) } }' > "$TMP/dense.txt"
printf ' %s\n' "$token" >> "$TMP/dense.txt"
out=$("$SCAN" -m 64M "$TMP/dense.txt" 2> "$TMP/err")
is_rc $? 1 "dense hits: findings exit 1"
is "$(echo "$out" | wc -l)" 1 "dense hits: only the real token is reported"
like "$out" ' github-pat ' "dense hits: the token at the end is found"

# The default cap cuts a file larger than 10 MiB and counts it; the sources
# report it (guard scan context exits 3).
out=$("$SCAN" "$TMP/dense.txt" 2> "$TMP/err")
is_rc $? 0 "over the default cap: the token past the cap is not reached"
like "$(cat "$TMP/err")" "too_large=1" "over the default cap: counted"

done_testing
