# TAP helpers for guard's shell tests, to source first. They set GUARD (the
# binary under test), TMP (a scratch folder removed at exit) and ROOT (the
# repository), and provide ok, is, is_rc, like, skip_all and done_testing.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GUARD=${GUARD:-$ROOT/build/guard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/guard-test.XXXXXX")
TAP_N=0
TAP_FAILED=0
TAP_CLEANUP=""

tap_exit() {
	eval "$TAP_CLEANUP"
	rm -rf "$TMP"
}
trap tap_exit EXIT

# at_exit CMD: runs CMD when the test ends (services started by the test).
at_exit() {
	TAP_CLEANUP="$1; $TAP_CLEANUP"
}

ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}

is_rc() {
	is "$1" "$2" "$3"
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got: %s\n#   expected to match: %s\n' "$1" "$2" | head -20
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '#   got: %s\n#   expected not to match: %s\n' "$1" "$2" | head -20
	else
		ok 0 "$3"
	fi
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
