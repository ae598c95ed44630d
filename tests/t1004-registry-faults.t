#!/usr/bin/env bash
# Registry client against a misbehaving registry: rate limits, server
# errors, stalls, garbage, wrong digests, schema 1, auth challenges and
# redirects that must not carry credentials to another host.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"
PROBE=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/registry-probe
export GUARD_HTTP_RETRY_BASE_MS=20 GUARD_HTTP_ATTEMPTS=3
export FAULT_STALL_SECONDS=3
unset GUARD_TEST_BASIC GUARD_TEST_IDENTITY_TOKEN

testbed_fault || exit 1
T=$TB_FAULT
TL=$TB_FAULT_LOG
testbed_fault "$T" || exit 1
F=$TB_FAULT
FL=$TB_FAULT_LOG
good=$(printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}' | sha256sum | cut -d' ' -f1)

# count SCENARIO: requests the fault server logged for that scenario
count() {
	grep -c "/v2/$1/" "$FL"
}

out=$("$PROBE" "$F/ok/x:1")
like "$out" "digest=sha256:$good " "fault server baseline resolves"

out=$("$PROBE" -v "$F/retry429/x:1" 2> "$TMP/err")
like "$out" "digest=sha256:$good " "429 then 200 resolves"
is "$(count retry429)" 2 "429 is retried once"
like "$(cat "$TMP/err")" "retrying .* in 1000 ms" "Retry-After seconds are honoured"

out=$(GUARD_HTTP_ATTEMPTS=1 "$PROBE" --manifest "$F/retry429/x:2")
like "$out" "rate limiting requests \(HTTP 429 'Too Many Requests \(HAP429\).'\)" \
	"429 after the last attempt is a rate-limit error"

out=$("$PROBE" "$F/retry503/x:1")
like "$out" "digest=sha256:$good " "503 twice then 200 resolves"
is "$(count retry503)" 3 "503 is retried with backoff"

out=$("$PROBE" --manifest "$F/always503/x:1")
is_rc $? 4 "persistent 503 exits 4"
like "$out" "returned HTTP 503" "persistent 503 is reported"
like "$out" "'<html><body><h1>503</h1> back soon</body></html>'" "HTML error body is quoted sanitized"
is "$(count always503)" 3 "attempts are bounded"

out=$(GUARD_HTTP_ATTEMPTS=1 GUARD_HTTP_TIMEOUT_MS=400 "$PROBE" "$F/stall/x:1")
is_rc $? 4 "stalled registry exits 4"
like "$out" "error=network request to '$F' timed out" "stall is a timeout"

out=$("$PROBE" "$F/garbage/x:1")
like "$out" "error=network manifest of '$F/garbage/x:1' from '$F' is not a JSON object" \
	"garbage body is rejected"

out=$("$PROBE" "$F/wrongdigest/x:1" 2> "$TMP/err")
like "$out" "digest=sha256:$good " "wrong header digest: the body hash wins"
like "$(cat "$TMP/err")" "warning: registry '$F' sent Docker-Content-Digest sha256:0{64}" \
	"wrong header digest is warned about"

out=$("$PROBE" "$F/nodigest/x:1")
like "$out" "digest=sha256:$good " "HEAD without digest falls back to GET"
like "$(grep '/v2/nodigest/' "$FL")" "GET /v2/nodigest" "fallback sent a GET"

out=$("$PROBE" "$F/schema1/x:1")
like "$out" "error=network registry '$F' served a deprecated schema 1 manifest" "schema 1 is rejected clearly"

out=$("$PROBE" "$F/html404/x:1")
like "$out" "error=not-found tag '1' not found in $F/html404/x" "404 with HTML is not found"

out=$("$PROBE" --manifest "$F/error400/x:1")
like "$out" "returned HTTP 400 .*MANIFEST_INVALID: manifest invalid" "JSON error body is summarised"

out=$("$PROBE" --manifest "$F/ok/x@sha256:$(printf '%064d' 1)")
like "$out" "has the digest sha256:$good: the registry sent other content" "by-digest body is verified"

out=$("$PROBE" "$F/huge/x:1")
is_rc $? 3 "oversized manifest exits 3"
like "$out" "error=limit response from .* is larger than 4194304 bytes" "body cap is reported"

out=$("$PROBE" --platform linux/arm64/v8 "$F/index/x:1")
like "$out" "digest=sha256:b{64} " "arm64/v8 matches arm64 without a variant"
out=$("$PROBE" --platform linux/amd64 "$F/index/x:1")
like "$out" "digest=sha256:c{64} " "linux/amd64 picks its child"
out=$("$PROBE" --platform unknown/unknown "$F/index/x:1")
like "$out" "error=not-found no unknown/unknown image" "unknown/unknown is never picked"
out=$("$PROBE" --platform linux "$F/index/x:1")
like "$out" "error=usage invalid platform 'linux'" "platform without arch is rejected"

"$PROBE" "$F/ratelimit/x:1" "$F/ratelimit/x:2" > /dev/null 2> "$TMP/err"
like "$(cat "$TMP/err")" "registry '$F' reports 3 requests left" "low rate limit is warned about"
is "$(grep -c 'requests left' "$TMP/err")" 1 "rate limit warning is printed once"

out=$("$PROBE" "$F/basic/x:1")
like "$out" "error=auth registry '$F' requires a login" "Basic challenge without login"
out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" "$F/basic/x:1")
like "$out" "digest=sha256:$good " "Basic login over loopback HTTP"

out=$("$PROBE" "$F/bearer/x:1")
like "$out" "digest=sha256:$good " "Bearer challenge with bare realm"
like "$(grep 'token query=' "$FL" | head -1)" "^token query=scope=repository%3Abearer%2Fx%3Apull$" \
	"missing scope becomes repository pull, missing service is omitted"

out=$("$PROBE" "$F/multichallenge/x:1")
like "$out" "digest=sha256:$good " "Bearer is picked from several challenges"
like "$(grep 'token query=' "$FL" | tail -1)" "service=fault&scope=repository%3Amultichallenge%2Fx%3Apull%2Cpush" \
	"quoted scope with a comma is kept whole"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --manifest "$F/redirect/x:1")
like "$out" "manifest digest=sha256:$good " "redirect to another port is followed"
like "$(grep 'GET /v2/redirect/' "$FL" | tail -1)" "auth=Basic" "redirecting server got the login"
like "$(grep 'GET /v2/ok/x' "$TL")" "auth=none" "other port got no Authorization"
out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --manifest "$F/redirectsame/x:1")
like "$out" "manifest digest=sha256:$good " "redirect on the same host is followed"
like "$(grep 'GET /v2/ok/x' "$FL" | tail -1)" "auth=Basic" "same host keeps Authorization"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --blob "sha256:$good" "$F/redirect/x:1")
like "$out" "blob size=246$" "blob redirect to another port is followed"
like "$(grep "blobs/sha256:$good" "$TL" | tail -1)" "auth=none" "blob redirect carries no Authorization"
out=$("$PROBE" --blob "sha256:$(printf '%064d' 7)" "$F/ok/x:1")
like "$out" "blob error=network blob 'sha256:0{63}7' from '$F' has the digest sha256:$good" \
	"blob with other content is rejected"

out=$("$PROBE" --jobs 2 "$F/slow/x:1" "$F/slow/x:2" "$F/slow/x:3" "$F/slow/x:4" "$F/slow/x:5")
is "$(printf '%s\n' "$out" | grep -c 'digest=')" 5 "slow batch resolves"
max=$(grep 'inflight max=' "$FL" | tail -1 | sed 's/.*max=//')
ok "$([ "$max" -le 2 ]; echo $?)" "at most 2 requests in flight with --jobs 2 (saw $max)"

# A registry whose ping names the Bearer challenge: tokens are fetched before
# the manifest requests, and a rejected token is refreshed once.
FAULT_PING_CHALLENGE=1 testbed_fault || exit 1
P=$TB_FAULT
PL=$TB_FAULT_LOG
out=$("$PROBE" "$P/bearer/x:1" "$P/bearer/x:2" "$P/bearer/y:1")
is "$(printf '%s\n' "$out" | grep -c "digest=sha256:$good ")" 3 "challenge from the ping: batch resolves"
is "$(grep -c 'GET /v2/ ' "$PL")" 1 "one ping"
is "$(grep -c '/v2/bearer/' "$PL")" 3 "one manifest request per reference"
is "$(grep '/v2/bearer/' "$PL" | grep -c 'auth=none')" 0 "manifest requests carry a token from the start"
is "$(grep -c 'token query=' "$PL")" 1 "one token request for both repositories"
grep 'token query=' "$PL" | grep -q 'scope=repository%3Abearer%2Fx%3Apull.*scope=repository%3Abearer%2Fy%3Apull\|scope=repository%3Abearer%2Fy%3Apull.*scope=repository%3Abearer%2Fx%3Apull'
ok $? "the token request names both scopes"

out=$("$PROBE" "$P/rotate/x:1")
like "$out" "digest=sha256:$good " "token answered invalid_token is refreshed"
is "$(grep -c '/v2/rotate/' "$PL")" 2 "refreshed token: two manifest requests"
is "$(grep -c 'token query=scope=repository%3Arotate' "$PL")" 2 "refreshed token: two token requests"

out=$("$PROBE" "$P/reject/x:1")
is_rc $? 4 "token always rejected exits 4"
like "$out" "error=auth registry '$P' denied access to '$P/reject/x' \(HTTP 401" \
	"token always rejected is an auth error"
is "$(grep -c '/v2/reject/' "$PL")" 2 "token always rejected: one refresh, then no more"

out=$("$PROBE" "127.0.0.2:1/x:1")
like "$out" "error=network cannot reach '127.0.0.2:1'" "refused connection is a network error"

done_testing
