#!/usr/bin/env bash
# An interrupted rewrite leaves the old file or the new one, never a mix:
# guard is killed with SIGKILL at random moments while it pins a large
# Dockerfile; only temporary files named FILE.guard-XXXXXX may remain.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image one && testbed_push one "$TB_PLAIN/library/alpine:3.20" || exit 1
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1
mkdir work

# About 3 MB, so that reading, parsing and writing take a while.
{
	printf 'FROM alpine:3.20\n'
	for i in $(seq 2000); do
		printf '# %s padding line that makes the file big enough to interrupt a write .......\n' "$i"
	done | awk '{ for (k = 0; k < 20; k++) print }'
	printf 'RUN true\n'
} > old
cp old work/Dockerfile
start=$(date +%s%3N)
"$GUARD" pin "${MIRROR[@]}" work/Dockerfile > /dev/null 2>&1
is_rc $? 0 "an uninterrupted pin succeeds"
# Kills land anywhere from the start to a bit past the usual end of a run.
span=$(( ($(date +%s%3N) - start) * 6 / 5 + 1 ))
cp work/Dockerfile new
cmp -s old new && ok 1 "the pin changed the file" || ok 0 "the pin changed the file"
is "$(ls -A work)" "Dockerfile" "a finished pin leaves no temporary file"

mixed=0
strays=0
old_seen=0
new_seen=0
for i in $(seq 40); do
	rm -f work/*
	cp old work/Dockerfile
	"$GUARD" pin -q "${MIRROR[@]}" work/Dockerfile > /dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % span % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if cmp -s work/Dockerfile old; then
		old_seen=$((old_seen + 1))
	elif cmp -s work/Dockerfile new; then
		new_seen=$((new_seen + 1))
	else
		mixed=$((mixed + 1))
	fi
	for f in work/*; do
		case ${f#work/} in
		Dockerfile | Dockerfile.guard-??????) ;;
		*) strays=$((strays + 1)); echo "# stray file: $f" ;;
		esac
	done
done
is "$mixed" 0 "every interrupted run left the old or the new file"
is "$strays" 0 "no file besides Dockerfile.guard-XXXXXX temporaries"
echo "# old file kept $old_seen times, new file written $new_seen times"

done_testing
