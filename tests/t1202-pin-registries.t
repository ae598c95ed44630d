#!/usr/bin/env bash
# guard pin against real registries on loopback: TLS with htpasswd and
# credentials from config.json, bearer tokens, multi-platform indexes, a
# missing tag and a stopped registry.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! plain registry did not start"; exit 1; }
testbed_tls || { echo "Bail out! TLS registry did not start"; exit 1; }
testbed_token || { echo "Bail out! token registry did not start"; exit 1; }
testbed_image app-img || exit 1
testbed_push app-img "$TB_TLS/team/app:1" || exit 1
testbed_push app-img "$TB_TOKEN/team/tool:2" || exit 1
testbed_index multi || exit 1
testbed_push multi "$TB_PLAIN/library/multi:1" || exit 1

mkdir -p "$TMP/docker"
auth=$(printf '%s' "$TB_USER:$TB_PASS" | base64)
printf '{"auths":{"%s":{"auth":"%s"},"%s":{"auth":"%s"}}}\n' \
	"$TB_TLS" "$auth" "$TB_TOKEN" "$auth" > "$TMP/docker/config.json"
export DOCKER_CONFIG=$TMP/docker
cd "$TMP" || exit 1

# TLS + htpasswd, the CA given with --ca-file.
printf 'FROM %s/team/app:1\n' "$TB_TLS" > tls.Dockerfile
"$GUARD" pin --ca-file "$TB_CA" tls.Dockerfile > out 2> err
is_rc $? 0 "TLS registry with htpasswd: exit 0"
want=$(testbed_digest "$TB_TLS" team/app 1)
is "$(cat tls.Dockerfile)" "FROM $TB_TLS/team/app:1@$want" "TLS registry: pinned to the tag's digest"

printf 'FROM %s/team/app:1\n' "$TB_TLS" > tls2.Dockerfile
"$GUARD" pin tls2.Dockerfile > out 2> err
is_rc $? 4 "TLS registry without the CA: exit 4"
is "$(cat tls2.Dockerfile)" "FROM $TB_TLS/team/app:1" "TLS failure leaves the file unchanged"

# Bearer tokens from the issuer, with Basic credentials on the token request.
printf 'FROM %s/team/tool:2\n' "$TB_TOKEN" > token.Dockerfile
"$GUARD" pin token.Dockerfile > out 2> err
is_rc $? 0 "token registry: exit 0"
want=$(testbed_digest "$TB_TOKEN" team/tool 2)
is "$(cat token.Dockerfile)" "FROM $TB_TOKEN/team/tool:2@$want" "token registry: pinned"
grep -q 'auth=basic' "$TB_ISSUER_LOG"
ok $? "the issuer received the credentials"

# A multi-platform index is pinned by the index digest.
printf 'FROM python:1\nFROM multi:1\n' > multi.Dockerfile
"$GUARD" pin --registry-mirror "docker.io=http://$TB_PLAIN" multi.Dockerfile > out 2> err
is_rc $? 4 "a missing repository fails the file: exit 4"
is "$(cat multi.Dockerfile)" "$(printf 'FROM python:1\nFROM multi:1')" "the failing file is unchanged"
like "$(cat err)" "python:1" "the error names the reference"
like "$(cat err)" "$TB_PLAIN|docker.io" "the error names the registry"

printf 'FROM multi:1\n' > multi.Dockerfile
"$GUARD" pin --registry-mirror "docker.io=http://$TB_PLAIN" multi.Dockerfile > out 2> err
is_rc $? 0 "index: exit 0"
is "$(cat multi.Dockerfile)" "FROM multi:1@$TB_INDEX_DIGEST" "index: pinned to the index digest"

printf 'FROM multi:1\n' > arm.Dockerfile
"$GUARD" pin --platform linux/arm64 --registry-mirror "docker.io=http://$TB_PLAIN" arm.Dockerfile > out 2> err
is_rc $? 0 "--platform: exit 0"
is "$(cat arm.Dockerfile)" "FROM multi:1@$TB_ARM64_DIGEST" "--platform pins the platform's manifest"
like "$(cat err)" "warning:.*platform" "--platform warns about multi-platform builds"

# A missing tag: exit 4, the reference and registry named, file untouched.
printf 'FROM %s/library/multi:nope\n' "$TB_PLAIN" > missing.Dockerfile
cp missing.Dockerfile missing.before
"$GUARD" pin missing.Dockerfile > out 2> err
is_rc $? 4 "missing tag: exit 4"
cmp -s missing.Dockerfile missing.before
ok $? "missing tag: file unchanged"
like "$(cat err)" "multi:nope" "missing tag: reference named"
like "$(cat err)" "$TB_PLAIN" "missing tag: registry named"

# A stopped registry.
testbed_plain || exit 1
testbed_push app-img "$TB_PLAIN/gone/app:1" || exit 1
testbed_stop "$(cat "$TB_CUR/pid")"
printf 'FROM %s/gone/app:1\n' "$TB_PLAIN" > down.Dockerfile
cp down.Dockerfile down.before
"$GUARD" pin down.Dockerfile > out 2> err
is_rc $? 4 "stopped registry: exit 4"
cmp -s down.Dockerfile down.before
ok $? "stopped registry: file unchanged"
like "$(cat err)" "$TB_PLAIN" "stopped registry: registry named"

done_testing
