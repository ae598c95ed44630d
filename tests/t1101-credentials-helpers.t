#!/bin/sh
# Registry credentials through docker-credential-* helper scripts written by
# the test, config.json, DOCKER_AUTH_CONFIG and REGISTRY_AUTH_FILE. No secret
# may appear on stderr.
. "$(dirname "$0")/lib/tap.sh"

LOOKUP=${GUARD_TOOLS_DIR:?run the tests through make test}/credentials_lookup

export DOCKER_CONFIG="$TMP/docker" HOME="$TMP/home"
unset DOCKER_AUTH_CONFIG REGISTRY_AUTH_FILE XDG_RUNTIME_DIR
mkdir -p "$DOCKER_CONFIG" "$HOME" "$TMP/bin" "$TMP/sys"
# The look-ups see only the test's helpers and cat, so credential helpers
# installed on the machine cannot change the results.
ln -s "$(command -v cat)" "$TMP/sys/cat"
lookup() { PATH="$TMP/bin:$TMP/sys" "$LOOKUP" "$@"; }

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

helper() {
	printf '#!/bin/sh\n%s\n' "$2" >"$TMP/bin/docker-credential-$1"
	chmod +x "$TMP/bin/docker-credential-$1"
}

# The helper records its arguments and stdin, then answers by server URL.
helper testhelper '
printf "%s\n" "$*" >"$TMP_LOG/args"
cat >"$TMP_LOG/stdin"
case $(cat "$TMP_LOG/stdin") in
https://index.docker.io/v1/) echo "{\"ServerURL\":\"hub\",\"Username\":\"hubuser\",\"Secret\":\"hub-helper-secret\"}" ;;
token.example) echo "{\"Username\":\"<token>\",\"Secret\":\"token-helper-secret\"}" ;;
user.example:5000) echo "{\"Username\":\"alice\",\"Secret\":\"alice-helper-secret\"}" ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac'
helper brokenhelper 'cat >/dev/null
echo "error getting credentials - err: exit status 1, out: gpg: decryption failed"
exit 1'
export TMP_LOG="$TMP"

cat >"$DOCKER_CONFIG/config.json" <<'JSON'
{
	"auths": {
		"https://index.docker.io/v1/": {},
		"plain.example": {"auth": "cGxhaW46cGxhaW4tZmlsZS1zZWNyZXQ="},
		"nothere.example": {"auth": "cGxhaW46cGxhaW4tZmlsZS1zZWNyZXQ="}
	},
	"credsStore": "testhelper",
	"credHelpers": {
		"broken.example": "brokenhelper",
		"missing.example": "nosuchhelper"
	}
}
JSON

out=$(lookup docker.io 2>"$TMP/err"); rc=$?
is "$rc" 0 "docker.io through credsStore: exit 0"
like "$out" "^username=hubuser$" "docker.io: helper username"
like "$out" "secret-sha256=$(sha hub-helper-secret)" "docker.io: helper secret"
like "$out" "^source=credential helper docker-credential-testhelper$" "docker.io: source names the helper"
is "$(cat "$TMP/args")" "get" "helper runs with the get action"
is "$(cat "$TMP/stdin")" "https://index.docker.io/v1/" "helper receives the Hub key on stdin"

out=$(lookup token.example 2>>"$TMP/err")
like "$out" "kind=identity-token secret-sha256=$(sha token-helper-secret)" "<token> answer is an identity token"

out=$(lookup user.example:5000 2>>"$TMP/err")
like "$out" "^username=alice$" "host with a port: username"
is "$(cat "$TMP/stdin")" "user.example:5000" "helper receives host:port on stdin"

out=$(lookup nothere.example 2>"$TMP/err.notfound"); rc=$?
is "$rc" 0 "helper without credentials: exit 0"
is "$out" "found=no" "credsStore hides the plaintext auths entry"
is "$(cat "$TMP/err.notfound")" "" "helper's not-found answer prints nothing"

out=$(lookup broken.example 2>"$TMP/err.broken"); rc=$?
is "$rc" 0 "failing helper: exit 0"
is "$out" "found=no" "failing helper: anonymous"
like "$(cat "$TMP/err.broken")" "^guard: warning: credential helper 'docker-credential-brokenhelper' failed for 'broken.example': exit status 1: error getting credentials - err: exit status 1, out: gpg: decryption failed; continuing without credentials$" \
	"failing helper: warning names the helper and its message"

out=$(lookup missing.example 2>"$TMP/err.missing")
is "$out" "found=no" "missing helper: anonymous"
like "$(cat "$TMP/err.missing")" "credential helper 'docker-credential-nosuchhelper' failed for 'missing.example': not found in PATH" \
	"missing helper: warning names the helper"

# The plaintext entry is used when no helper is configured.
cat >"$DOCKER_CONFIG/config.json" <<'JSON'
{"auths": {"plain.example": {"auth": "cGxhaW46cGxhaW4tZmlsZS1zZWNyZXQ="}, "bad.example": {"auth": "!!"}}}
JSON
out=$(lookup plain.example 2>"$TMP/err.bad"); rc=$?
is "$rc" 3 "bad base64 anywhere fails the look-up"
like "$(cat "$TMP/err.bad")" "^guard: invalid credentials in '$DOCKER_CONFIG/config.json': auths.\"bad.example\".auth is not valid base64$" \
	"bad base64: error names the file and the key"

cat >"$DOCKER_CONFIG/config.json" <<'JSON'
{"auths": {"plain.example": {"auth": "cGxhaW46cGxhaW4tZmlsZS1zZWNyZXQ="}}}
JSON
out=$(lookup plain.example 2>>"$TMP/err")
like "$out" "secret-sha256=$(sha plain-file-secret)" "auths entry without a helper"

export DOCKER_AUTH_CONFIG='{"auths":{"plain.example":{"auth":"ZW52OmVudi12YXItc2VjcmV0"}}}'
lookup plain.example >"$TMP/out" 2>>"$TMP/err"
unset DOCKER_AUTH_CONFIG
like "$(cat "$TMP/out")" "^username=env$" "DOCKER_AUTH_CONFIG comes first"
like "$(cat "$TMP/out")" "^source=DOCKER_AUTH_CONFIG$" "DOCKER_AUTH_CONFIG: source"

printf '{"auths":{"docker.io":{"auth":"cG9kOnBvZC1maWxlLXNlY3JldA=="}}}' >"$TMP/auth.json"
export REGISTRY_AUTH_FILE="$TMP/auth.json"
lookup docker.io >"$TMP/out" 2>>"$TMP/err"
unset REGISTRY_AUTH_FILE
like "$(cat "$TMP/out")" "^username=pod$" "REGISTRY_AUTH_FILE: podman's docker.io key"

rm "$DOCKER_CONFIG/config.json"
out=$(lookup plain.example 2>>"$TMP/err"); rc=$?
is "$rc" 0 "no config.json: exit 0"
is "$out" "found=no" "no config.json and no default store: anonymous"

helper secretservice 'cat >/dev/null
echo "{\"Username\":\"desktop\",\"Secret\":\"default-store-secret\"}"'
out=$(lookup plain.example 2>>"$TMP/err")
like "$out" "^username=desktop$" "no config.json: the secretservice helper is the default store"

all_err=$(cat "$TMP"/err*)
for secret in hub-helper-secret token-helper-secret alice-helper-secret plain-file-secret \
	env-var-secret pod-file-secret default-store-secret; do
	unlike "$all_err" "$secret" "stderr never shows $secret"
done

done_testing
