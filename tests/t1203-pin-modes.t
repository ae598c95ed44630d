#!/usr/bin/env bash
# guard pin --check (offline), --check --verify, --diff, --update and JSON.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image one && testbed_push one "$TB_PLAIN/library/python:3.12-alpine" || exit 1
testbed_image two || exit 1
testbed_index multi && testbed_push multi "$TB_PLAIN/library/multi:1" || exit 1
PY=$(testbed_digest "$TB_PLAIN" library/python 3.12-alpine)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1

# --check needs no network: the registry named here does not exist.
printf 'FROM 127.0.0.1:9/app:1\nFROM alpine@sha256:%s\nFROM scratch\n' "$(printf '0%.0s' $(seq 64))" > Dockerfile
cp Dockerfile before
"$GUARD" pin --check > out 2> err
is_rc $? 1 "--check with an unpinned reference exits 1"
is "$(cat out)" "Dockerfile:1: 127.0.0.1:9/app:1" "--check lists FILE:LINE: REFERENCE"
cmp -s Dockerfile before
ok $? "--check writes nothing"

printf 'FROM alpine@sha256:%s\n' "$(printf '0%.0s' $(seq 64))" > pinned.Dockerfile
"$GUARD" pin --check pinned.Dockerfile > out 2> err
is_rc $? 0 "--check with everything pinned exits 0"
is "$(cat out)" "" "--check prints nothing when everything is pinned"

# --diff prints a unified diff that patch applies, and writes nothing.
printf '# a\r\nFROM python:3.12-alpine\r\nRUN x\r\n' > diff.Dockerfile
cp diff.Dockerfile diff.before
"$GUARD" pin --diff "${MIRROR[@]}" diff.Dockerfile > out 2> err
is_rc $? 1 "--diff with changes exits 1"
cmp -s diff.Dockerfile diff.before
ok $? "--diff writes nothing"
is "$(head -2 out)" "$(printf -- '--- a/diff.Dockerfile\n+++ b/diff.Dockerfile')" "--diff headers"
grep -q "^+FROM python:3.12-alpine@$PY"$'\r$' out
ok $? "--diff keeps CRLF in the changed line"
patch -s -p1 diff.Dockerfile < out
ok $? "patch applies the diff"
"$GUARD" pin "${MIRROR[@]}" diff.before > /dev/null 2>&1
cmp -s diff.Dockerfile diff.before
ok $? "the patched file equals the pinned file"

# --update replaces a digest whose tag moved, and only then.
printf 'FROM python:3.12-alpine\n' > up.Dockerfile
"$GUARD" pin "${MIRROR[@]}" up.Dockerfile > /dev/null 2>&1
"$GUARD" pin --update "${MIRROR[@]}" up.Dockerfile > out 2> err
is_rc $? 0 "--update with nothing moved exits 0"
is "$(cat up.Dockerfile)" "FROM python:3.12-alpine@$PY" "--update keeps a current digest"

"$GUARD" pin --check --verify "${MIRROR[@]}" up.Dockerfile > out 2> err
is_rc $? 0 "--verify with an existing digest exits 0"

testbed_push two "$TB_PLAIN/library/python:3.12-alpine" || exit 1
NEW=$(testbed_digest "$TB_PLAIN" library/python 3.12-alpine)
"$GUARD" pin --check --verify "${MIRROR[@]}" up.Dockerfile > out 2> err
is_rc $? 0 "--verify reports a moved tag without failing"
like "$(cat out)" "up.Dockerfile:1: .*$NEW" "--verify names the new digest"

"$GUARD" pin --update "${MIRROR[@]}" up.Dockerfile > out 2> err
is_rc $? 0 "--update exits 0"
is "$(cat up.Dockerfile)" "FROM python:3.12-alpine@$NEW" "--update replaced the digest"
like "$(cat out)" "updated python:3.12-alpine: $PY -> $NEW" "--update reports what moved"

printf 'FROM python:3.12-alpine@sha256:%s\n' "$(printf 'a%.0s' $(seq 64))" > gone.Dockerfile
"$GUARD" pin --check --verify "${MIRROR[@]}" gone.Dockerfile > out 2> err
is_rc $? 4 "--verify with a digest the registry lacks exits 4"

printf 'FROM multi:1@%s\n' "$TB_AMD64_DIGEST" > single.Dockerfile
"$GUARD" pin --check --verify "${MIRROR[@]}" single.Dockerfile > out 2> err
is_rc $? 0 "--verify of a single-platform pin exits 0"
like "$(cat err)" "single-platform" "--verify warns about a single-platform pin of an index"

# JSON for every mode.
printf 'FROM python:3.12-alpine AS base\nFROM base\nFROM multi:1@%s\n' "$TB_INDEX_DIGEST" > j.Dockerfile
"$GUARD" pin --check --format json j.Dockerfile > out 2> err
is_rc $? 1 "--check --format json exits 1"
is "$(jq -r '.mode' out)" "check" "json: mode"
is "$(jq -r '.references[0] | [.file, .line, .column, .text, .name, .action] | join(" ")' out)" \
	"j.Dockerfile 1 6 python:3.12-alpine docker.io/library/python:3.12-alpine unpinned" \
	"json: unpinned reference fields"
is "$(jq -r '.references[] | select(.text == "base") | .action' out)" "skipped" "json: stage reference is skipped"
is "$(jq -r '.references[] | select(.text | startswith("multi")) | .action' out)" "already_pinned" "json: pinned reference"

"$GUARD" pin --format json "${MIRROR[@]}" j.Dockerfile > out 2> err
is_rc $? 0 "write --format json exits 0"
is "$(jq -r '.references[0].action' out)" "pinned" "json: action pinned"
is "$(jq -r '.references[0].digest' out)" "$NEW" "json: digest"
is "$(jq -r '.files[0].written' out)" "true" "json: file written"
is "$(jq -r '.summary.pinned' out)" "1" "json: summary counts"

printf 'FROM python:3.12-alpine\n' > jd.Dockerfile
"$GUARD" pin --diff --format json "${MIRROR[@]}" jd.Dockerfile > out 2> err
is_rc $? 1 "--diff --format json exits 1"
like "$(jq -r '.files[0].diff' out)" "^\\+FROM python:3.12-alpine@$NEW" "json: diff text"

printf 'FROM %s/library/python:nope\n' "$TB_PLAIN" > je.Dockerfile
"$GUARD" pin --format json je.Dockerfile > out 2> err
is_rc $? 4 "json with a missing tag exits 4"
is "$(jq -r '.references[0].action' out)" "error" "json: action error"
is "$(jq -r '.references[0].error.code' out)" "not-found" "json: error code"

# Usage errors.
"$GUARD" pin --check --diff > /dev/null 2>&1
is_rc $? 2 "--check with --diff is a usage error"
"$GUARD" pin --verify > /dev/null 2>&1
is_rc $? 2 "--verify without --check is a usage error"
"$GUARD" pin --jobs 0 > /dev/null 2>&1
is_rc $? 2 "--jobs 0 is a usage error"
"$GUARD" pin --platform linux > /dev/null 2>&1
is_rc $? 2 "--platform without an architecture is a usage error"
"$GUARD" pin --help > out
is_rc $? 0 "--help exits 0"
for opt in --check --verify --diff --update --platform --build-arg --jobs --format \
	--registry-mirror --insecure-registry --ca-file --config --quiet --verbose 'Exit codes'; do
	grep -q -- "$opt" out
	ok $? "--help documents $opt"
done

done_testing
