#!/bin/sh
# guard's own repository passes guard's own checks: its Dockerfile pins
# every base image and its build context sends no secret.
. "$(dirname "$0")/lib/tap.sh"

cd "$ROOT" || exit 1
"$GUARD" pin --check Dockerfile > "$TMP/pin.out" 2> "$TMP/pin.err"
is $? 0 "guard pin --check passes on guard's Dockerfile"

"$GUARD" scan context . > "$TMP/scan.out" 2> "$TMP/scan.err"
rc=$?
is $rc 0 "guard scan context passes on guard's repository"
[ $rc -eq 0 ] || sed 's/^/# /' "$TMP/scan.out" | head -20

grep -q '^USER ' Dockerfile && ! grep -qE '^USER (root|0)' Dockerfile
ok $? "the runtime stage runs as a non-root user"
is "$(grep -c '^FROM ' Dockerfile)" 2 "the build has two stages"
done_testing
