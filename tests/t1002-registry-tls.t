#!/usr/bin/env bash
# Registry client against a TLS registry with htpasswd (Basic) logins:
# CA files, insecure hosts and credentials.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"
PROBE=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/registry-probe
export GUARD_HTTP_RETRY_BASE_MS=20 GUARD_HTTP_ATTEMPTS=2
unset GUARD_TEST_BASIC

testbed_tls || exit 1
R=$TB_TLS
testbed_image one
one=$(testbed_manifest_digest one)
testbed_index multi
testbed_push one "$R/test/one:1.0"
testbed_push multi "$R/test/multi:1"

out=$("$PROBE" "$R/test/one:1.0")
is_rc $? 4 "untrusted certificate exits 4"
like "$out" "error=network TLS certificate of '$R' is not trusted" "untrusted certificate is named"
like "$out" "add its CA with --ca-file" "untrusted certificate error says what to do"

out=$("$PROBE" --ca-file "$TB_CA" "$R/test/one:1.0")
is_rc $? 4 "missing login exits 4"
like "$out" "error=auth registry '$R' requires a login for '$R/test/one'" "missing login is an auth error"
like "$out" "docker login $R" "auth error says how to log in"

out=$(GUARD_TEST_BASIC=testuser:wrong "$PROBE" --ca-file "$TB_CA" "$R/test/one:1.0")
is_rc $? 4 "wrong password exits 4"
like "$out" "error=auth registry '$R' denied access to '$R/test/one' \(HTTP 401" "wrong password is denied"
unlike "$out" "wrong" "password is not printed"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --ca-file "$TB_CA" "$R/test/one:1.0")
is_rc $? 0 "CA file and login resolve"
like "$out" "digest=$one " "TLS registry returns the digest"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --ca-file "$TB_CA" --platform linux/arm64 \
	"$R/test/multi:1" "$R/test/multi:1")
like "$out" "digest=$TB_ARM64_DIGEST " "platform child over TLS with Basic"

port=${R#*:}
out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --ca-file "$TB_CA" "localhost:$port/test/one:1.0")
like "$out" "digest=$one " "certificate name localhost matches"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --insecure "$R" "$R/test/one:1.0")
like "$out" "digest=$one " "insecure host skips certificate checks"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --ca-file "$TMP/nonexistent.crt" "$R/test/one:1.0" 2>&1)
like "$out" "CA file '$TMP/nonexistent.crt'" "missing CA file is reported"

out=$(GUARD_TEST_BASIC=testuser:testpass "$PROBE" --ca-file "$TB_CA" --manifest "$R/test/one@$one")
like "$out" "manifest digest=$one " "manifest by digest over TLS"

done_testing
