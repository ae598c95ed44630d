#!/usr/bin/env bash
# ARG-driven references, --build-arg, one look-up per distinct reference
# across files, and the progress line on a terminal.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image one && testbed_push one "$TB_PLAIN/library/python:3.12-alpine" || exit 1
testbed_image two && testbed_push two "$TB_PLAIN/library/node:22" || exit 1
PY=$(testbed_digest "$TB_PLAIN" library/python 3.12-alpine)
NODE=$(testbed_digest "$TB_PLAIN" library/node 22)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
REGISTRY_LOG=$TB_CUR/log.txt
cd "$TMP" || exit 1

# The digest of FROM ${BASE} goes to the ARG default, once for both users.
printf 'ARG BASE=python:3.12-alpine\nFROM ${BASE} AS a\nFROM $BASE\n' > arg.Dockerfile
"$GUARD" pin "${MIRROR[@]}" arg.Dockerfile > out 2> err
is_rc $? 0 "ARG default: exit 0"
is "$(cat arg.Dockerfile)" "$(printf 'ARG BASE=python:3.12-alpine@%s\nFROM ${BASE} AS a\nFROM $BASE' "$PY")" \
	"ARG default pinned once, FROM lines unchanged"
"$GUARD" pin --check arg.Dockerfile > out 2> err
is_rc $? 0 "pinned ARG default passes --check"

printf 'FROM ${IMG:-python:3.12-alpine}\n' > expr.Dockerfile
"$GUARD" pin "${MIRROR[@]}" expr.Dockerfile > out 2> err
is_rc $? 0 "\${V:-w}: exit 0"
is "$(cat expr.Dockerfile)" "FROM \${IMG:-python:3.12-alpine@$PY}" "\${V:-w}: digest at the end of w"

# --build-arg replaces the default: the reference is resolved with it.
printf 'ARG BASE=python:3.12-alpine\nFROM ${BASE}\n' > over.Dockerfile
"$GUARD" pin --check --format json --build-arg BASE=node:22 over.Dockerfile > out 2> err
is "$(jq -r '.references[0].expanded' out)" "node:22" "--build-arg value is what gets resolved"

printf 'ARG TAG\nFROM python:${TAG}\n' > noval.Dockerfile
"$GUARD" pin --format json "${MIRROR[@]}" noval.Dockerfile > out 2> err
is "$(jq -r '.references[0].action' out)" "skipped" "ARG without a value: skipped"
like "$(jq -r '.references[0].reason' out)" "TAG" "the reason names the ARG"

# Two files with the same reference: one successful look-up.
printf 'FROM node:22\n' > one.Dockerfile
printf 'services:\n  a:\n    image: node:22\n' > compose.yaml
before=$(wc -l < "$REGISTRY_LOG")
"$GUARD" pin "${MIRROR[@]}" one.Dockerfile compose.yaml > out 2> err
is_rc $? 0 "same reference in two files: exit 0"
sleep 0.2
is "$(tail -n +"$((before + 1))" "$REGISTRY_LOG" | grep -c '/v2/library/node/manifests/22 HTTP/1.1" 200')" "1" \
	"the reference is resolved once for both files"
is "$(cat one.Dockerfile)" "FROM node:22@$NODE" "Dockerfile pinned"
is "$(sed -n 3p compose.yaml)" "    image: node:22@$NODE" "compose file pinned"

# A progress line on a terminal, none with -q.
printf 'FROM python:3.12-alpine\n' > tty.Dockerfile
script -qec "$GUARD pin --diff ${MIRROR[*]} tty.Dockerfile" /dev/null > tty.out 2>&1
like "$(cat tty.out)" "resolving image references: 0/1" "progress line on a terminal"
like "$(cat tty.out)" "resolving image references: 1/1" "progress line counts finished look-ups"
script -qec "$GUARD pin -q --diff ${MIRROR[*]} tty.Dockerfile" /dev/null > tty.out 2>&1
unlike "$(cat tty.out)" "resolving" "no progress line with -q"
"$GUARD" pin --diff "${MIRROR[@]}" tty.Dockerfile > out 2> err
unlike "$(cat err)" "resolving" "no progress line when stderr is not a terminal"

# Options may follow the paths, as with docker and git.
printf 'FROM alpine:3.20\n' > late.Dockerfile
"$GUARD" pin late.Dockerfile --check > out 2> err
is_rc $? 1 "an option after the path is an option"
like "$(cat out)" '^late.Dockerfile:1: alpine:3.20' "the option after the path applies"

# --check and --diff name the images they cannot pin without build values.
printf 'ARG IMG\nFROM ${IMG}\nFROM golang:1.22-${TARGETARCH}\nFROM scratch\n' > skip.Dockerfile
"$GUARD" pin --check skip.Dockerfile > out 2> err
is_rc $? 0 "skipped references alone pass --check"
like "$(cat out)" "skip.Dockerfile:2: skipped .*ARG 'IMG'" "--check names a reference with an unset ARG"
like "$(cat out)" "skip.Dockerfile:3: skipped .*TARGETARCH" "--check names a platform-dependent reference"
unlike "$(cat out)" "scratch" "--check does not list scratch"
"$GUARD" pin --diff skip.Dockerfile > out 2> err
like "$(cat err)" "warning: skip.Dockerfile:2: skipped" "--diff names skipped references on stderr"

done_testing
