#!/usr/bin/env bash
# Files guard cannot parse are left alone and reported (exit 3) while the
# other files of the run are still pinned; the most serious failure
# decides the exit code; pin.ignore and folder discovery.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image one && testbed_push one "$TB_PLAIN/library/alpine:3.20" || exit 1
ALPINE=$(testbed_digest "$TB_PLAIN" library/alpine 3.20)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1

mkdir -p proj/svc proj/.git
printf 'FROM alpine:3.20 # pinned later\n' > proj/Dockerfile
printf 'FROM alpine:3.20\nCOPY <<EOF /x\nhello\n' > proj/heredoc.Dockerfile
printf 'FROM Alpine:3.20\n' > proj/Dockerfile.upper
printf 'FROM alpine:3.20\n' > proj/svc/Containerfile
printf 'FROM alpine:3.20\n' > proj/Dockerfile.dockerignore
printf 'FROM alpine:3.20\n' > proj/.git/Dockerfile
for f in proj/Dockerfile proj/heredoc.Dockerfile proj/Dockerfile.upper; do cp "$f" "$f.orig"; done

"$GUARD" pin "${MIRROR[@]}" proj > out 2> err
is_rc $? 3 "parse errors exit 3"
is "$(cat proj/svc/Containerfile)" "FROM alpine:3.20@$ALPINE" "the valid file is pinned"
for f in proj/Dockerfile proj/heredoc.Dockerfile proj/Dockerfile.upper; do
	cmp -s "$f" "$f.orig"
	ok $? "$f is left untouched"
done
like "$(cat err)" "proj/Dockerfile:1: " "comment after FROM reported as FILE:LINE"
like "$(cat err)" "proj/heredoc.Dockerfile:[0-9]+: .*heredoc" "unterminated heredoc reported"
like "$(cat err)" "proj/Dockerfile.upper:1: .*lowercase" "invalid reference reported"
is "$(cat proj/Dockerfile.dockerignore)" "FROM alpine:3.20" "Dockerfile.dockerignore is not a Dockerfile"
is "$(cat proj/.git/Dockerfile)" "FROM alpine:3.20" ".git is skipped"

# A registry failure (4) beats a parse error (3).
printf 'FROM %s/library/none:1\n' "$TB_PLAIN" > none.Dockerfile
"$GUARD" pin none.Dockerfile proj/Dockerfile > out 2> err
is_rc $? 4 "registry failure and parse error together exit 4"

"$GUARD" pin nothing-here.Dockerfile > out 2> err
is_rc $? 3 "a missing file exits 3"
like "$(cat err)" "nothing-here.Dockerfile" "the missing file is named"

# pin.ignore from .guard.yaml: ignored references are skipped.
mkdir -p ign && cd ign || exit 1
printf 'pin:\n  ignore:\n    - "docker.io/library/alpine*"\n' > .guard.yaml
printf 'FROM alpine:3.20\nFROM %s/library/alpine:3.20\n' "$TB_PLAIN" > Dockerfile
"$GUARD" pin --format json "${MIRROR[@]}" > out 2> err
is_rc $? 0 "pin with an ignore glob exits 0"
is "$(jq -r '.references[0].action' out)" "skipped" "ignored reference is skipped"
like "$(jq -r '.references[0].reason' out)" "pin.ignore" "the reason names pin.ignore"
is "$(sed -n 1p Dockerfile)" "FROM alpine:3.20" "ignored reference is not pinned"
is "$(sed -n 2p Dockerfile)" "FROM $TB_PLAIN/library/alpine:3.20@$ALPINE" "other reference is pinned"

done_testing
