#!/usr/bin/env bash
# Registry client against token authentication: the bearer flow with
# passwords, anonymous tokens, refresh tokens and the token cache.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"
PROBE=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/registry-probe
export GUARD_HTTP_RETRY_BASE_MS=20 GUARD_HTTP_ATTEMPTS=2
unset GUARD_TEST_BASIC GUARD_TEST_IDENTITY_TOKEN

testbed_token || exit 1
R=$TB_TOKEN
log=$TB_ISSUER_LOG
testbed_image one
one=$(testbed_manifest_digest one)
testbed_index multi
testbed_push one "$R/test/one:1.0"
testbed_push one "$R/test/one:1.1"
testbed_push multi "$R/test/multi:1"

out=$("$PROBE" "$R/test/one:1.0")
is_rc $? 4 "token registry without login exits 4"
like "$out" "error=auth token server 'http://$TB_ISSUER/token' rejected the anonymous request for '$R'" \
	"rejected token request names the token server"
like "$out" "docker login $R" "token error says how to log in"

mark=$(wc -l < "$log")
out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" "$R/test/one:1.0" "$R/test/one:1.1" "$R/test/multi:1")
is_rc $? 0 "login through the token server resolves"
like "$out" "test/one:1.0 digest=$one " "bearer token gives the digest"
like "$out" "test/multi:1 digest=$TB_INDEX_DIGEST .*index=1" "bearer token gives the index digest"
is "$(tail -n +$((mark + 1)) "$log" | grep -c 'GET /token auth=basic')" 1 "one token request for both repositories"

out=$(GUARD_TEST_BASIC=testuser:wrong "$PROBE" "$R/test/one:1.0")
like "$out" "error=auth token server .* rejected the credentials" "wrong password at the token server"
unlike "$out" "wrong" "password is not printed"

mark=$(wc -l < "$log")
out=$(GUARD_TEST_IDENTITY_TOKEN=testbed-refresh-token "$PROBE" "$R/test/one:1.0")
like "$out" "digest=$one " "identity token resolves"
like "$(tail -n +$((mark + 1)) "$log")" "POST /token auth=form" "identity token is sent as a refresh_token POST"
out=$(GUARD_TEST_IDENTITY_TOKEN=stale "$PROBE" "$R/test/one:1.0")
like "$out" "error=auth" "unknown refresh token is an auth error"

testbed_token anonymous || exit 1
A=$TB_TOKEN
testbed_push one "$A/test/one:1.0"
out=$("$PROBE" --platform linux/amd64 "$A/test/one:1.0")
like "$out" "digest=$one " "anonymous token works without a login"

ISSUER_NO_POST=1 ISSUER_FIELDS=access_token testbed_token anonymous || exit 1
N=$TB_TOKEN
testbed_push one "$N/test/one:1.0"
out=$(GUARD_TEST_IDENTITY_TOKEN=whatever "$PROBE" "$N/test/one:1.0")
like "$out" "digest=$one " "refresh POST answered 404 falls back to GET"
like "$(cat "$TB_ISSUER_LOG")" "POST /token auth=form" "fallback started with a POST"
like "$(cat "$TB_ISSUER_LOG")" "GET /token auth=none" "fallback sent a GET"
like "$out" "digest=$one " "answer with only access_token is used"

done_testing
