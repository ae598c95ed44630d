#!/bin/sh
# Runs one C unit test binary per file in tests/unit/; each prints TAP. This
# wrapper turns them into subtests so that prove reports them together.
set -u
dir=${GUARD_UNIT_DIR:?run the tests through make check}
n=0
status=0
for bin in "$dir"/*; do
	[ -x "$bin" ] || continue
	n=$((n + 1))
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		echo "ok $n - $(basename "$bin")"
	else
		echo "not ok $n - $(basename "$bin") (exit $rc)"
		# prove shows stderr even without -v: name what failed there.
		printf '%s\n' "$out" | grep -E -A3 '^not ok|ERROR|runtime error' | sed "s|^|$(basename "$bin"): |" >&2
		status=1
	fi
done
echo "1..$n"
exit $status
