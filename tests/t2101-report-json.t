#!/bin/sh
# JSON report: snapshot, validation against doc/report.schema.json with
# ajv, and the schema rejecting reports that break it.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/report.sh"

install_validators
is "$?" 0 "validators installed"

"$FIXTURE" --format json >"$TMP/raw.json" 2>"$TMP/err"
is "$?" 1 "findings exit 1"
normalise_version <"$TMP/raw.json" >"$TMP/report.json"
if diff -u "$ROOT/tests/fixtures/report/report.json.expected" "$TMP/report.json" >"$TMP/diff"; then
	ok 0 "JSON matches the snapshot"
else
	ok 1 "JSON matches the snapshot"
	sed 's/^/# /' "$TMP/diff" | head -40
fi
is "$(jq -r .tool.version "$TMP/raw.json")" "$GUARD_VERSION_TEXT" "tool version is guard's"
is "$(jq '.findings | length' "$TMP/raw.json")" 10 "ten findings"
is "$(jq -r '.findings[] | select(.rule == "slack-bot-token") | .commit.id' "$TMP/raw.json")" \
    0123456789abcdef0123456789abcdef01234567 "git finding has its commit"
is "$(jq -r '.findings[] | select(.rule == "stripe-secret-key") | .image.removed' "$TMP/raw.json")" \
    true "image finding says the file was removed"
is "$(jq -r '.findings[] | select(.rule == "github-pat") | .path' "$TMP/raw.json" | head -1)" \
    "$(printf 'docs/odd \033[31mname\357\277\275.md')" "invalid UTF-8 in a path becomes U+FFFD"
is "$(jq -r '.findings[] | select(.origin == "history") | .image.step' "$TMP/raw.json")" \
    "RUN echo login … | tee /dev/null # buildkit" "secret of a history finding is masked"
out=$(validate_json "$TMP/raw.json")
rc=$?
is "$rc" 0 "report with findings is valid"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
assert_no_secrets "json" "$TMP/raw.json" "$TMP/err"

"$FIXTURE" --format json --none >"$TMP/none.json" 2>/dev/null
is "$?" 0 "no findings exit 0"
is "$(jq -c .findings "$TMP/none.json")" "[]" "no findings: empty array"
validate_json "$TMP/none.json" >/dev/null
is "$?" 0 "empty report is valid"

"$FIXTURE" --format json --problem --summary "3 commits" >"$TMP/problem.json" 2>/dev/null
is "$?" 3 "problem exit 3"
is "$(jq -c '.problems' "$TMP/problem.json")" \
    "[{\"class\":\"io\",\"message\":\"cannot read 'secrets/vault.bin': permission denied\"}]" \
    "problem listed with its class"
is "$(jq -r .summary.note "$TMP/problem.json")" "3 commits" "summary note"
validate_json "$TMP/problem.json" >/dev/null
is "$?" 0 "report with problems is valid"

# The schema has teeth: a raw secret field or a broken fingerprint fails.
jq '.findings[0].secret = "x"' "$TMP/raw.json" >"$TMP/bad1.json"
validate_json "$TMP/bad1.json" >/dev/null
is "$?" 1 "schema rejects an extra secret member"
jq '.findings[0].fingerprint = "abc"' "$TMP/raw.json" >"$TMP/bad2.json"
validate_json "$TMP/bad2.json" >/dev/null
is "$?" 1 "schema rejects a malformed fingerprint"
jq 'del(.summary)' "$TMP/raw.json" >"$TMP/bad3.json"
validate_json "$TMP/bad3.json" >/dev/null
is "$?" 1 "schema rejects a missing summary"

"$FIXTURE" --format json --output "$TMP/out.json" >"$TMP/stdout" 2>/dev/null
is "$(cat "$TMP/stdout")" "" "--output leaves stdout empty"
if cmp -s "$TMP/out.json" "$TMP/raw.json"; then
	ok 0 "--output file equals the stdout report"
else
	ok 1 "--output file equals the stdout report"
fi

done_testing
