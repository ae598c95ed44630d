#!/usr/bin/env bash
# guard pin --diff never prints a secret: values that guard scan would
# report are shown as '*' in the diff's lines, with a warning that the
# diff then does not apply with patch.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! plain registry did not start"; exit 1; }
testbed_image base || exit 1
testbed_push base "$TB_PLAIN/library/alpine:3.20" || exit 1
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1

token=ghp_$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)
password=$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20)
printf 'FROM alpine:3.20\nENV DB_PASSWORD=%s\nARG API_TOKEN=%s\nRUN echo hi\n' \
	"$password" "$token" > Dockerfile
cp Dockerfile before

"$GUARD" pin --diff "${MIRROR[@]}" Dockerfile > out 2> err
is $? 1 "--diff with changes exits 1"
like "$(cat out)" '^\+FROM alpine:3.20@sha256:' "the diff pins the image"
grep -qF -- "$token" out err
is $? 1 "the token is not in the diff"
grep -qF -- "$password" out err
is $? 1 "the password is not in the diff"
like "$(cat out)" '^ ENV DB_PASSWORD=\*+$' "the ENV value is masked"
like "$(cat err)" "warning: 'Dockerfile': the diff shows 2 secret values as '\*'" \
	"a warning says the diff is masked"
cmp -s Dockerfile before
ok $? "--diff writes nothing"

"$GUARD" pin --diff --format json "${MIRROR[@]}" Dockerfile > out.json 2> /dev/null
grep -qF -- "$token" out.json
is $? 1 "the token is not in the JSON diff"

# A file without secrets gives a diff that patch applies.
printf 'FROM alpine:3.20\nRUN echo hi\n' > clean.Dockerfile
"$GUARD" pin --diff "${MIRROR[@]}" clean.Dockerfile > clean.diff 2> clean.err
is "$(cat clean.err)" "" "no warning without secrets"
patch -s -p1 < clean.diff
is $? 0 "the diff applies with patch"
like "$(cat clean.Dockerfile)" '^FROM alpine:3.20@sha256:' "patch pins the file"

done_testing
