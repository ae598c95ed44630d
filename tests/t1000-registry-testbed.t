#!/usr/bin/env bash
# The shared test bed: three registries, the token issuer, images and an
# index, pushed with skopeo and read back with curl.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain
ok $? "plain registry starts"
testbed_tls
ok $? "TLS registry starts"
testbed_token
ok $? "token registry and issuer start"

testbed_image one
ok $? "image builds"
local_digest=$(testbed_manifest_digest one)
like "$local_digest" '^sha256:[0-9a-f]{64}$' "image has a manifest digest"

for registry in "$TB_PLAIN" "$TB_TLS" "$TB_TOKEN"; do
	testbed_push one "$registry/test/one:1.0"
	ok $? "push to $(testbed_kind "$registry") registry"
	is "$(testbed_digest "$registry" test/one 1.0)" "$local_digest" \
		"$(testbed_kind "$registry") registry serves the local digest"
done

testbed_index multi
ok $? "index builds"
testbed_push multi "$TB_PLAIN/test/multi:1"
ok $? "index push"
is "$(testbed_digest "$TB_PLAIN" test/multi 1)" "$TB_INDEX_DIGEST" "registry serves the index digest"
[ "$TB_AMD64_DIGEST" != "$TB_ARM64_DIGEST" ]
ok $? "index children differ"

code=$(curl -s -o /dev/null -w '%{http_code}' "http://$TB_TOKEN/v2/")
is "$code" 401 "token registry asks for a token"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$TB_ISSUER/token?service=testbed-registry")
is "$code" 401 "issuer needs credentials"
code=$(curl -s -o /dev/null -w '%{http_code}' -d grant_type=refresh_token \
	-d refresh_token=testbed-refresh-token -d client_id=guard -d service=testbed-registry \
	-d scope=repository:test/one:pull "http://$TB_ISSUER/token")
is "$code" 200 "issuer accepts a refresh token"
tok=$(curl -s -d grant_type=refresh_token -d refresh_token=testbed-refresh-token -d client_id=guard \
	-d service=testbed-registry -d scope=repository:test/one:pull "http://$TB_ISSUER/token" | jq -r .access_token)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: $TB_ACCEPT" -H "Authorization: Bearer $tok" \
	"http://$TB_TOKEN/v2/test/one/manifests/1.0")
is "$code" 200 "registry accepts the refreshed token"

pids=$(cat "$TB_DIR"/*/pid "$TB_DIR"/*/issuer.pid)
eval "$TAP_CLEANUP"
left=
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
is "$left" "" "every service stops at exit"
TAP_CLEANUP=""

done_testing
