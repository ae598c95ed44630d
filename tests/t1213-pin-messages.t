#!/usr/bin/env bash
# The wording of guard pin's messages in each mode, and the line numbers of
# edits that land on an ARG line.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image one && testbed_push one "$TB_PLAIN/library/alpine:3.20" || exit 1
testbed_index multi && testbed_push multi "$TB_PLAIN/library/golang:1.22" || exit 1
ALPINE=$(testbed_digest "$TB_PLAIN" library/alpine 3.20)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
ZERO=sha256:$(printf '0%.0s' $(seq 64))
cd "$TMP" || exit 1

# --check writes nothing, so it does not say that a file was left unchanged.
printf 'FROM alpine:3.20@%s\n' "$ZERO" > Dockerfile
"$GUARD" pin --check --verify "${MIRROR[@]}" > out 2> err
is_rc $? 4 "--check --verify with a missing digest: exit 4"
unlike "$(cat err)" "left unchanged" "--check: no 'left unchanged' hint"
"$GUARD" pin --check --verify --format json "${MIRROR[@]}" > out 2> err
unlike "$(jq -r '.files[0].error.message' out)" "left unchanged" "--check json: no 'left unchanged'"
like "$(jq -r '.files[0].error.message' out)" "cannot verify 'alpine:3.20@$ZERO' in 'Dockerfile'" \
	"--check json: the error says what could not be verified"

# --diff writes nothing either.
printf 'FROM alpine:3.20\nFROM alpine:nope\n' > diff.Dockerfile
"$GUARD" pin --diff "${MIRROR[@]}" diff.Dockerfile > out 2> err
is_rc $? 4 "--diff with a missing tag: exit 4"
unlike "$(cat err)" "left unchanged" "--diff: no 'left unchanged' hint"
like "$(cat err)" "'diff.Dockerfile' is left out of the diff" "--diff: the file is left out of the diff"

# Writing still says it.
cp diff.Dockerfile write.Dockerfile
"$GUARD" pin "${MIRROR[@]}" write.Dockerfile > out 2> err
is_rc $? 4 "write with a missing tag: exit 4"
like "$(cat err)" "'write.Dockerfile' was left unchanged" "write: the file was left unchanged"

# The --platform warning fits the mode.
printf 'FROM golang:1.22\n' > platform.Dockerfile
"$GUARD" pin --diff --platform linux/arm64 "${MIRROR[@]}" platform.Dockerfile > out 2> err
like "$(cat err)" "--platform linux/arm64 would pin single-platform" "--diff: the --platform warning says would pin"
"$GUARD" pin --platform linux/arm64 "${MIRROR[@]}" platform.Dockerfile > out 2> err
like "$(cat err)" "--platform linux/arm64 pins single-platform" "write: the --platform warning says pins"
"$GUARD" pin --check --platform linux/arm64 "${MIRROR[@]}" platform.Dockerfile > out 2> err
unlike "$(cat err)" "pins" "--check: no --platform warning"

# The --build-arg warning says that the digest decides the image.
printf 'ARG VER=3.19\nFROM alpine:${VER}\n' > arg.Dockerfile
"$GUARD" pin --build-arg VER=3.20 "${MIRROR[@]}" arg.Dockerfile > out 2> err
is_rc $? 0 "--build-arg: exit 0"
is "$(sed -n 2p arg.Dockerfile)" "FROM alpine:\${VER}@$ALPINE" "--build-arg: the digest follows the reference"
like "$(cat err)" "resolved with the --build-arg value of ARG 'VER'" "--build-arg warning: resolved with the value"
like "$(cat err)" "another value of 'VER' still gets this image" "--build-arg warning: other values get this image"
unlike "$(cat err)" "without that --build-arg" "--build-arg warning: old wording gone"

# An edit of an ARG default is reported on the ARG line.
printf '# base image\nARG BASE=alpine:3.20\nFROM ${BASE}\n' > base.Dockerfile
"$GUARD" pin "${MIRROR[@]}" base.Dockerfile > out 2> err
is_rc $? 0 "ARG default: exit 0"
is "$(sed -n 2p base.Dockerfile)" "ARG BASE=alpine:3.20@$ALPINE" "ARG default: pinned on line 2"
is "$(cat out)" "base.Dockerfile:2: pinned alpine:3.20@$ALPINE" "ARG default: the message names line 2"

printf '# base image\nARG BASE=alpine:3.20\nFROM ${BASE}\n' > base-json.Dockerfile
"$GUARD" pin --format json "${MIRROR[@]}" base-json.Dockerfile > out 2> err
is "$(jq -r '.references[0].line' out)" "3" "json: line is the reference's line"
is "$(jq -r '.references[0].edit_line' out)" "2" "json: edit_line is the ARG line"

printf '# base image\nARG BASE=alpine:3.20@%s\nFROM ${BASE}\n' "$ZERO" > old.Dockerfile
"$GUARD" pin --update --diff "${MIRROR[@]}" old.Dockerfile > out 2> err
like "$(cat out)" "^\\+ARG BASE=alpine:3.20@$ALPINE" "--update --diff changes the ARG line"
"$GUARD" pin --update "${MIRROR[@]}" old.Dockerfile > out 2> err
is_rc $? 0 "--update of an ARG default: exit 0"
is "$(cat out)" "old.Dockerfile:2: updated alpine:3.20: $ZERO -> $ALPINE" "--update names the ARG line"

# A literal reference keeps its own line.
printf '\n\nFROM alpine:3.20\n' > lit.Dockerfile
"$GUARD" pin "${MIRROR[@]}" lit.Dockerfile > out 2> err
is "$(cat out)" "lit.Dockerfile:3: pinned alpine:3.20@$ALPINE" "a literal reference: its own line"

done_testing
