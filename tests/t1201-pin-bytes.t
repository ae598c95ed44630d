#!/usr/bin/env bash
# guard pin changes no byte but the inserted digests: CRLF, BOM, tabs,
# trailing spaces and a missing final newline survive, and so does the mode.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image python-img && testbed_push python-img "$TB_PLAIN/library/python:3.12-alpine" || exit 1
testbed_image node-img && testbed_push node-img "$TB_PLAIN/library/node:latest" || exit 1
PY=$(testbed_digest "$TB_PLAIN" library/python 3.12-alpine)
NODE=$(testbed_digest "$TB_PLAIN" library/node latest)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")

# strip_digests FILE: the file with every inserted digest (and the
# ":latest" added to untagged references) removed.
strip_digests() {
	sed -e 's/@sha256:[0-9a-f]\{64\}//g' -e 's/node:latest/node/g' "$1"
}

cd "$TMP" || exit 1
printf '\xef\xbb\xbf# syntax check\r\nFROM python:3.12-alpine AS build\r\n\tRUN echo hi   \r\nFROM node   \r\nCOPY --from=build /a /b\r\nRUN true' > Dockerfile
chmod 640 Dockerfile
cp Dockerfile before
"$GUARD" pin "${MIRROR[@]}" Dockerfile > out 2> err
is_rc $? 0 "pin exits 0"
cmp -s <(strip_digests Dockerfile) before
ok $? "only digests were added (CRLF, BOM, tab, trailing spaces, no final newline)"
grep -q "FROM python:3.12-alpine@$PY AS build" Dockerfile
ok $? "python pinned to the tag's digest as written"
grep -q "FROM node:latest@$NODE   " Dockerfile
ok $? "untagged reference gets :latest and the digest"
is "$(head -c 3 Dockerfile | od -An -tx1 | tr -d ' ')" "efbbbf" "byte order mark kept"
is "$(tail -c 8 Dockerfile)" "RUN true" "no final newline added"
is "$(grep -c $'\r$' Dockerfile)" "5" "CRLF line endings kept"
is "$(stat -c %a Dockerfile)" "640" "file mode kept"
like "$(cat out)" "Dockerfile:2: pinned python:3.12-alpine@$PY" "pin reports what it pinned"

cp Dockerfile pinned
"$GUARD" pin "${MIRROR[@]}" Dockerfile > /dev/null 2>&1
is_rc $? 0 "second pin exits 0"
cmp -s Dockerfile pinned
ok $? "second pin changes nothing"

# The same for compose: quotes, comments and CRLF stay as they are.
printf 'services:\r\n  web:\r\n    image: "python:3.12-alpine"  # web\r\n  db:\r\n    image: '"'"'node'"'"'\r\n  plain:\r\n    image:   python:3.12-alpine   \r\n' > compose.yaml
cp compose.yaml compose.before
"$GUARD" pin "${MIRROR[@]}" compose.yaml > /dev/null 2> err
is_rc $? 0 "compose pin exits 0"
cmp -s <(strip_digests compose.yaml) compose.before
ok $? "compose: only digests were added"
grep -q "image: \"python:3.12-alpine@$PY\"  # web" compose.yaml
ok $? "compose: digest inserted inside double quotes"
grep -q "image: 'node:latest@$NODE'" compose.yaml
ok $? "compose: digest inserted inside single quotes"
grep -q "image:   python:3.12-alpine@$PY   "$'\r' compose.yaml
ok $? "compose: plain scalar keeps trailing spaces"

ls -A "$TMP" | grep -q 'guard-' && ok 1 "no temporary files left" || ok 0 "no temporary files left"

done_testing
