#!/usr/bin/env bash
# Requests guard pin sends: one ping per registry, one manifest request per
# reference and one token request for the repositories of a batch (one per
# repository when the registry grants a single scope per token); the HTTPS
# probe of a plain loopback registry; and the progress line of a larger
# batch.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"
unset GUARD_HTTP_CONNECT_TIMEOUT_MS GUARD_HTTP_TIMEOUT_MS GUARD_HTTP_ATTEMPTS \
	GUARD_HTTP_RETRY_BASE_MS GUARD_HTTP_RETRY_BUDGET_MS

testbed_token anonymous || { echo "Bail out! token registry did not start"; exit 1; }
REGISTRY_LOG=$TB_CUR/log.txt
testbed_image one || exit 1
refs=()
for repo in alpha beta gamma; do
	for tag in 1 2; do
		testbed_push one "$TB_TOKEN/team/$repo:$tag" || exit 1
		refs+=("$TB_TOKEN/team/$repo:$tag")
	done
done
want=$(testbed_digest "$TB_TOKEN" team/alpha 1)
cd "$TMP" || exit 1

write_dockerfile() {
	local ref
	for ref in "${refs[@]}"; do
		printf 'FROM %s\n' "$ref"
	done
	printf 'FROM %s\n' "${refs[0]}"
}

# new_lines FILE MARK: the lines FILE got after it had MARK lines.
new_lines() {
	tail -n +"$(($2 + 1))" "$1"
}

# 6 references (one of them twice) in 3 repositories.
write_dockerfile > Dockerfile
reg_mark=$(wc -l < "$REGISTRY_LOG")
iss_mark=$(wc -l < "$TB_ISSUER_LOG")
"$GUARD" pin --insecure-registry "$TB_TOKEN" Dockerfile > out 2> err
is_rc $? 0 "token registry batch: exit 0"
is "$(grep -c "@$want" Dockerfile)" 7 "every line pinned"
sleep 0.2	# the registry writes its access log line after the response
new_lines "$REGISTRY_LOG" "$reg_mark" > reg.log
new_lines "$TB_ISSUER_LOG" "$iss_mark" > issuer.log
is "$(grep -cE '"(GET|HEAD) /v2/[^ ]*/manifests/' reg.log)" 6 "one manifest request per reference"
is "$(grep -E '"(GET|HEAD) /v2/[^ ]*/manifests/' reg.log | grep -c '" 401 ')" 0 \
	"no manifest request is answered 401"
is "$(grep -c '"GET /v2/ ' reg.log)" 1 "one ping for the registry"
is "$(grep -cE '(GET|POST) /token' issuer.log)" 1 "one token request for the three repositories"

# A token server that grants only the first scope of a request: the other
# repositories' manifest requests are answered 401 and each fetches its own
# token, so the batch still pins.
saved=("$TB_TOKEN" "$TB_ISSUER_LOG" "$REGISTRY_LOG")
export ISSUER_ONE_SCOPE=1
testbed_token anonymous || { echo "Bail out! second token registry did not start"; exit 1; }
unset ISSUER_ONE_SCOPE
one_scope=$TB_TOKEN
for repo in alpha beta gamma; do
	testbed_push one "$one_scope/team/$repo:1" || exit 1
done
printf 'FROM %s/team/alpha:1\nFROM %s/team/beta:1\nFROM %s/team/gamma:1\n' \
	"$one_scope" "$one_scope" "$one_scope" > one.Dockerfile
iss_mark=$(wc -l < "$TB_ISSUER_LOG")
"$GUARD" pin --insecure-registry "$one_scope" one.Dockerfile > out 2> err
is_rc $? 0 "single-scope token server: exit 0"
is "$(grep -c "@sha256:" one.Dockerfile)" 3 "single-scope token server: every line pinned"
is "$(new_lines "$TB_ISSUER_LOG" "$iss_mark" | grep -cE '(GET|POST) /token')" 3 \
	"single-scope token server: one combined and two single-scope token requests"
TB_TOKEN=${saved[0]} TB_ISSUER_LOG=${saved[1]} REGISTRY_LOG=${saved[2]}

# Without --insecure-registry, one HTTPS request finds that the loopback
# registry speaks plain HTTP.
write_dockerfile > Dockerfile
reg_mark=$(wc -l < "$REGISTRY_LOG")
"$GUARD" pin -vv Dockerfile > out 2> err
is_rc $? 0 "loopback registry without --insecure-registry: exit 0"
is "$(grep -c "@$want" Dockerfile)" 7 "loopback without --insecure-registry: every line pinned"
is "$(grep -cE 'debug: (GET|HEAD) https://' err)" 1 "one HTTPS request"
is "$(grep -c 'does not speak TLS' err)" 1 "the plain HTTP fallback is decided once"
is "$(grep -c 'retrying' err)" 0 "the TLS failure is not retried"
sleep 0.2
is "$(new_lines "$REGISTRY_LOG" "$reg_mark" | grep -cE '"(GET|HEAD) /v2/[^ ]*/manifests/')" 6 \
	"loopback without --insecure-registry: one manifest request per reference"

# A stopped registry fails every reference after the retries of one ping,
# with the default retry settings.
testbed_plain || exit 1
testbed_push one "$TB_PLAIN/gone/app:1" || exit 1
testbed_stop "$(cat "$TB_CUR/pid")"
printf 'FROM %s/gone/app:1\nFROM %s/gone/app:2\nFROM %s/gone/other:1\n' \
	"$TB_PLAIN" "$TB_PLAIN" "$TB_PLAIN" > down.Dockerfile
cp down.Dockerfile down.before
"$GUARD" pin -v down.Dockerfile > out 2> err
is_rc $? 4 "stopped registry: exit 4"
cmp -s down.Dockerfile down.before
ok $? "stopped registry: file unchanged"
is "$(grep -c 'retrying' err)" 3 "stopped registry: 3 retries in all, not 3 per reference"
is "$(grep -c '(attempt 2 of 4)' err)" 1 "stopped registry: attempt 2 logged once"
is "$(grep -c '(attempt 3 of 4)' err)" 1 "stopped registry: attempt 3 logged once"
is "$(grep -c '(attempt 4 of 4)' err)" 1 "stopped registry: attempt 4 logged once"
like "$(cat err)" "with 5 HTTP requests" "stopped registry: 4 HTTPS attempts and 1 plain HTTP"
like "$(cat err)" "cannot reach '$TB_PLAIN'" "stopped registry: the registry is named"

# The progress line counts finished look-ups up to the batch size.
write_dockerfile > tty.Dockerfile
script -qec "$GUARD pin --diff --insecure-registry $TB_TOKEN tty.Dockerfile" /dev/null > tty.out 2>&1
like "$(cat tty.out)" "resolving image references: 0/6" "progress starts at 0 of the distinct references"
like "$(cat tty.out)" "resolving image references: 6/6" "progress ends at all of them"

done_testing
