#!/usr/bin/env bash
# guard pin with credentials from docker credential helpers, against the
# token registry of the test bed: a helper that returns a user and password,
# one that returns an identity token (user "<token>", exchanged through the
# OAuth2 refresh-token flow), one that has no credentials, and one that
# fails. Public images still pin when a helper fails.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_token || { echo "Bail out! token registry did not start"; exit 1; }
testbed_image app-img || exit 1
testbed_push app-img "$TB_TOKEN/team/app:1" || exit 1
want=$(testbed_digest "$TB_TOKEN" team/app 1)

bin=$TMP/bin
mkdir -p "$bin" "$TMP/docker"
export PATH=$bin:$PATH DOCKER_CONFIG=$TMP/docker
cd "$TMP" || exit 1

# helper NAME BODY: writes docker-credential-NAME; BODY runs for "get" with
# the server URL read from stdin into $server.
helper() {
	cat > "$bin/docker-credential-$1" <<SCRIPT
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r server
echo "\$server" >> "$TMP/helper-$1.log"
$2
SCRIPT
	chmod +x "$bin/docker-credential-$1"
}

use_helper() {
	printf '{"credHelpers":{"%s":"%s"}}\n' "$TB_TOKEN" "$1" > "$TMP/docker/config.json"
}

pin_fresh() {
	printf 'FROM %s/team/app:1\n' "$TB_TOKEN" > Dockerfile
	"$GUARD" pin Dockerfile > out 2> err
}

helper userpass "printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"\$server\" '$TB_USER' '$TB_PASS'"
use_helper userpass
pin_fresh
is $? 0 "helper with user and password: exit 0"
is "$(cat Dockerfile)" "FROM $TB_TOKEN/team/app:1@$want" "helper with user and password: pinned"
is "$(cat "$TMP/helper-userpass.log")" "$TB_TOKEN" "the helper gets the registry host on stdin"
grep -q 'GET /token auth=basic' "$TB_ISSUER_LOG"
ok $? "the token request carries the helper's credentials"
unlike "$(cat out err)" "$TB_PASS" "the password is not printed"

helper identity "printf '{\"ServerURL\":\"%s\",\"Username\":\"<token>\",\"Secret\":\"testbed-refresh-token\"}' \"\$server\""
use_helper identity
pin_fresh
is $? 0 "helper with an identity token: exit 0"
is "$(cat Dockerfile)" "FROM $TB_TOKEN/team/app:1@$want" "helper with an identity token: pinned"
grep -q 'POST /token auth=form' "$TB_ISSUER_LOG"
ok $? "the identity token is exchanged with a refresh_token POST"
unlike "$(cat out err)" "testbed-refresh-token" "the identity token is not printed"

helper none "echo 'credentials not found in native keychain'; exit 1"
use_helper none
pin_fresh
is $? 4 "helper without credentials: the registry rejects anonymous access"
unlike "$(cat err)" "warning: .*docker-credential-none" "credentials not found is not a warning"

# A failing or missing helper is a warning, then anonymous access, which a
# registry that allows anonymous pulls accepts.
testbed_token anonymous || { echo "Bail out! anonymous token registry did not start"; exit 1; }
testbed_push app-img "$TB_TOKEN/team/public:1" || exit 1
want=$(testbed_digest "$TB_TOKEN" team/public 1)
helper broken "echo 'keychain is locked'; exit 3"
printf '{"credHelpers":{"%s":"broken"}}\n' "$TB_TOKEN" > "$TMP/docker/config.json"
printf 'FROM %s/team/public:1\n' "$TB_TOKEN" > Dockerfile
"$GUARD" pin Dockerfile > out 2> err
is $? 0 "failing helper: the public image still pins"
like "$(cat err)" "warning: .*docker-credential-broken" "failing helper: a warning names it"
is "$(cat Dockerfile)" "FROM $TB_TOKEN/team/public:1@$want" "failing helper: pinned anonymously"

printf '{"credHelpers":{"%s":"absent"}}\n' "$TB_TOKEN" > "$TMP/docker/config.json"
printf 'FROM %s/team/public:1\n' "$TB_TOKEN" > Dockerfile
"$GUARD" pin Dockerfile > out 2> err
is $? 0 "missing helper: the public image still pins"
like "$(cat err)" "warning: .*docker-credential-absent" "missing helper: a warning names it"

# A malformed config.json fails the look-up, as it fails docker: exit 3,
# naming the file, and the Dockerfile is left alone.
testbed_token || { echo "Bail out! token registry did not start"; exit 1; }
testbed_push app-img "$TB_TOKEN/team/app:1" || exit 1
printf '{"auths":{"%s":{"auth":"not base64!"}}}\n' "$TB_TOKEN" > "$TMP/docker/config.json"
printf 'FROM %s/team/app:1\n' "$TB_TOKEN" > Dockerfile
"$GUARD" pin Dockerfile > out 2> err
is $? 3 "malformed config.json: exit 3"
like "$(cat err)" "config.json" "the error names the file"
is "$(cat Dockerfile)" "FROM $TB_TOKEN/team/app:1" "the Dockerfile is unchanged"

done_testing
