#!/bin/sh
# Reports of a real scan (guard scan git): schema and SARIF validation,
# fingerprints that survive line moves and CRLF, and a baseline round trip.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/report.sh"

install_validators
is "$?" 0 "validators installed"

# An AWS access key id with a base32 tail, as real ones have.
KEY=AKIAZQ7RT2WSKM4LPXN5
repo=$TMP/repo
git init -q "$repo"
git -C "$repo" config user.name "Report Test"
git -C "$repo" config user.email "report@test.invalid"

printf 'AWS_ACCESS_KEY_ID=%s\n' "$KEY" >"$repo/app.env"
git -C "$repo" add app.env
(cd "$repo" && "$GUARD" scan git --staged --format json) >"$TMP/lf.json" 2>/dev/null
is "$?" 1 "staged secret found"
fp_lf=$(jq -r '.findings[0].fingerprint' "$TMP/lf.json")
like "$fp_lf" '^aws-access-key-id:[0-9a-f]{16}:[0-9a-f]{16}$' "fingerprint has its form"

printf '# settings\r\n# for the app\r\n\r\nAWS_ACCESS_KEY_ID=%s\r\n' "$KEY" >"$repo/app.env"
git -C "$repo" add app.env
(cd "$repo" && "$GUARD" scan git --staged --format json) >"$TMP/crlf.json" 2>/dev/null
is "$(jq -r '.findings[0].line' "$TMP/crlf.json")" 4 "secret moved to line 4"
is "$(jq -r '.findings[0].fingerprint' "$TMP/crlf.json")" "$fp_lf" "fingerprint survives a line move and CRLF"

git -C "$repo" commit -qm "Add the app settings"
(cd "$repo" && "$GUARD" scan git --format json) >"$TMP/git.json" 2>"$TMP/git.err"
is "$?" 1 "committed secret found"
out=$(validate_json "$TMP/git.json")
rc=$?
is "$rc" 0 "git report is valid JSON Schema"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
is "$(jq -r '.findings[0].commit.subject' "$TMP/git.json")" "Add the app settings" "commit subject reported"

(cd "$repo" && "$GUARD" scan git --format sarif) >"$TMP/git.sarif" 2>/dev/null
validate_sarif "$TMP/git.sarif" >"$TMP/validate.log"
if grep -E '\.sarif\([0-9,]+\): (error|warning) ' "$TMP/validate.log" >/dev/null; then
	ok 1 "multitool: git SARIF has no errors or warnings"
	sed 's/^/# /' "$TMP/validate.log" | cut -c1-300 | head -20
else
	ok 0 "multitool: git SARIF has no errors or warnings"
fi
is "$(jq -r '.runs[0].results[0].locations[0].physicalLocation.artifactLocation | [.uri, .uriBaseId] | @tsv' "$TMP/git.sarif")" \
    "$(printf 'app.env\t%%SRCROOT%%')" "artifact URI is repository-relative"
is "$(jq -r '.runs[0].originalUriBaseIds["%SRCROOT%"].uri' "$TMP/git.sarif")" \
    "file://$(cd "$repo" && pwd -P)/" "SRCROOT is the work tree"

(cd "$repo" && "$GUARD" scan git --write-baseline "$TMP/baseline.json") >/dev/null 2>&1
(cd "$repo" && "$GUARD" scan git --baseline "$TMP/baseline.json") >"$TMP/b.out" 2>"$TMP/b.err"
is "$?" 0 "baselined scan exits 0"
like "$(cat "$TMP/b.err")" '1 baselined; 0 findings' "summary counts the baselined finding"

for f in "$TMP/lf.json" "$TMP/crlf.json" "$TMP/git.json" "$TMP/git.err" "$TMP/git.sarif" \
    "$TMP/baseline.json" "$TMP/b.out" "$TMP/b.err"; do
	if grep -F -q "$KEY" "$f"; then
		ok 1 "no secret in $(basename "$f")"
	else
		ok 0 "no secret in $(basename "$f")"
	fi
done

done_testing
