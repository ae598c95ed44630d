#!/usr/bin/env bash
# guard pin --output: an output that cannot be written fails the run before
# any file changes, and the output file is replaced in one step.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image one && testbed_push one "$TB_PLAIN/library/alpine:3.20" || exit 1
DIGEST=$(testbed_digest "$TB_PLAIN" library/alpine 3.20)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1

# An output in a missing folder: exit 3 and the Dockerfile untouched.
printf 'FROM alpine:3.20\n' > Dockerfile
cp Dockerfile before
"$GUARD" pin "${MIRROR[@]}" --output "$TMP/nodir/out" > out 2> err
is_rc $? 3 "output in a missing folder: exit 3"
cmp -s Dockerfile before
ok $? "output in a missing folder: the Dockerfile is unchanged"
like "$(cat err)" "cannot write the results.*nodir/out" "the error names the output"

# An output that is a folder: exit 3, nothing changed.
mkdir outdir
"$GUARD" pin "${MIRROR[@]}" --output outdir > out 2> err
is_rc $? 3 "output that is a folder: exit 3"
cmp -s Dockerfile before
ok $? "output that is a folder: the Dockerfile is unchanged"
is "$(ls -A outdir)" "" "output that is a folder: nothing was created in it"

# A writable output: the file is pinned and the results are written.
printf 'old results that are longer than the new ones, %s\n' "$(seq 200)" > results.json
ln -s results.json link.json
"$GUARD" pin "${MIRROR[@]}" --format json --output link.json > out 2> err
is_rc $? 0 "writable output: exit 0"
is "$(cat Dockerfile)" "FROM alpine:3.20@$DIGEST" "writable output: the Dockerfile is pinned"
is "$(jq -r '.references[0].digest' results.json)" "$DIGEST" "the output holds the results"
test -L link.json
ok $? "a symbolic link as output stays a link"
is "$(ls -A | grep -c guard-)" "0" "no temporary file is left"

# The output is replaced, not truncated in place: a hard link to the old
# file keeps the old content.
printf 'previous\n' > report.txt
ln report.txt report.keep
"$GUARD" pin --check "${MIRROR[@]}" --output report.txt > /dev/null 2> err
is_rc $? 0 "--check with --output: exit 0"
is "$(cat report.keep)" "previous" "the old output file is replaced, not rewritten in place"

"$GUARD" pin --check --output /dev/null > /dev/null 2> err
is_rc $? 0 "a device as output is written"

done_testing
