#!/usr/bin/env bash
# guard pin --platform: --verify accepts a pin of one entry of the tag's
# index, and a tag that is a single manifest for another platform fails.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_index multi && testbed_push multi "$TB_PLAIN/library/golang:1.22" || exit 1
testbed_image single amd64 && testbed_push single "$TB_PLAIN/library/alpine:3.20" || exit 1
testbed_image other amd64 && testbed_push other "$TB_PLAIN/library/other:1" || exit 1
testbed_push single "$TB_PLAIN/library/golang:old" || exit 1
ALPINE=$(testbed_digest "$TB_PLAIN" library/alpine 3.20)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1

# --verify after --platform: the platform's entry of the index is no move.
printf 'FROM golang:1.22\n' > Dockerfile
"$GUARD" pin --platform linux/arm64 "${MIRROR[@]}" > out 2> err
is_rc $? 0 "--platform linux/arm64 pins the index entry"
is "$(cat Dockerfile)" "FROM golang:1.22@$TB_ARM64_DIGEST" "the arm64 entry is pinned"

"$GUARD" pin --check --verify "${MIRROR[@]}" > out 2> err
is_rc $? 0 "--verify of an index entry exits 0"
unlike "$(cat out)" "now points" "--verify does not report an index entry as moved"
like "$(cat err)" "single-platform" "--verify without --platform warns about the single-platform pin"

"$GUARD" pin --check --verify --platform linux/arm64 "${MIRROR[@]}" > out 2> err
is_rc $? 0 "--verify --platform of that platform's entry exits 0"
is "$(cat out)" "" "--verify --platform of that platform's entry reports nothing"
unlike "$(cat err)" "pins single-platform" "--check does not warn that it pins"

"$GUARD" pin --check --verify --platform linux/amd64 "${MIRROR[@]}" > out 2> err
is_rc $? 0 "--verify --platform of another platform's entry exits 0"
like "$(cat out)" "Dockerfile:1: golang:1.22@$TB_ARM64_DIGEST: the tag now points to $TB_INDEX_DIGEST" \
	"--verify --platform reports another platform's entry as moved"

printf 'FROM golang:1.22@%s\n' "$TB_INDEX_DIGEST" > index.Dockerfile
"$GUARD" pin --check --verify --platform linux/arm64 "${MIRROR[@]}" index.Dockerfile > out 2> err
is_rc $? 0 "--verify --platform of the index digest exits 0"
is "$(cat out)" "" "the tag's own digest is no move"

# A manifest of the repository that the index does not list is a move.
printf 'FROM golang:1.22@%s\n' "$ALPINE" > moved.Dockerfile
"$GUARD" pin --check --verify "${MIRROR[@]}" moved.Dockerfile > out 2> err
is_rc $? 0 "--verify of a digest outside the index exits 0"
like "$(cat out)" "moved.Dockerfile:1: .*the tag now points to $TB_INDEX_DIGEST" \
	"a digest that the index does not list is reported as moved"

# A single amd64 manifest with --platform linux/arm64: that reference fails.
printf 'FROM alpine:3.20\n' > single.Dockerfile
cp single.Dockerfile single.before
"$GUARD" pin --platform linux/arm64 "${MIRROR[@]}" single.Dockerfile > out 2> err
is_rc $? 4 "a single manifest of another platform: exit 4"
cmp -s single.Dockerfile single.before
ok $? "a single manifest of another platform: the file is unchanged"
like "$(cat err)" "no linux/arm64 image for '.*alpine:3.20'.*single-platform linux/amd64 image" \
	"the error names the platform the tag has"

"$GUARD" pin --platform linux/arm64 --format json "${MIRROR[@]}" single.Dockerfile > out 2> err
is_rc $? 4 "json: exit 4"
is "$(jq -r '.references[0].error.code' out)" "not-found" "json: not-found, as for an index without the platform"

# The matching platform pins the single manifest; so does --diff.
"$GUARD" pin --platform linux/amd64 --diff "${MIRROR[@]}" single.Dockerfile > out 2> err
is_rc $? 1 "--diff with the matching platform shows the change"
"$GUARD" pin --platform linux/amd64 "${MIRROR[@]}" single.Dockerfile > out 2> err
is_rc $? 0 "the matching platform: exit 0"
is "$(cat single.Dockerfile)" "FROM alpine:3.20@$ALPINE" "the matching platform pins the manifest"

# One bad reference leaves the whole file unchanged.
printf 'FROM golang:1.22\nFROM other:1\n' > two.Dockerfile
cp two.Dockerfile two.before
"$GUARD" pin --platform linux/arm64 "${MIRROR[@]}" two.Dockerfile > out 2> err
is_rc $? 4 "an index and a wrong single manifest: exit 4"
cmp -s two.Dockerfile two.before
ok $? "the file with a wrong single manifest is unchanged"

# An index without the platform fails the same way.
printf 'FROM golang:1.22\n' > s390.Dockerfile
"$GUARD" pin --platform linux/s390x "${MIRROR[@]}" s390.Dockerfile > out 2> err
is_rc $? 4 "an index without the platform: exit 4"

done_testing
