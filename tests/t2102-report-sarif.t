#!/bin/sh
# SARIF report: snapshot, the SARIF Multitool's GitHub and SARIF rules, and
# the mapping of findings to rules, locations and fingerprints.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/report.sh"

install_validators
is "$?" 0 "validators installed"

"$FIXTURE" --format sarif --root /srv/repo >"$TMP/raw.sarif" 2>"$TMP/err"
is "$?" 1 "findings exit 1"
normalise_version <"$TMP/raw.sarif" >"$TMP/report.sarif"
if diff -u "$ROOT/tests/fixtures/report/report.sarif.expected" "$TMP/report.sarif" >"$TMP/diff"; then
	ok 0 "SARIF matches the snapshot"
else
	ok 1 "SARIF matches the snapshot"
	sed 's/^/# /' "$TMP/diff" | head -40
fi
assert_no_secrets "sarif" "$TMP/raw.sarif" "$TMP/err"

check_sarif() {
	validate_sarif "$1" >"$TMP/validate.log"
	# Results look like "FILE(line,col): error GH1001: ..."; the notice
	# that SARIF2006 is off is a tool warning, not one about the file.
	if grep -E '\.sarif\([0-9,]+\): (error|warning) ' "$TMP/validate.log" >/dev/null ||
	    ! grep -q 'Analysis completed successfully' "$TMP/validate.log"; then
		ok 1 "$2"
		sed 's/^/# /' "$TMP/validate.log" | cut -c1-300 | head -20
	else
		ok 0 "$2"
	fi
}
check_sarif "$TMP/raw.sarif" "multitool: no errors or warnings with findings"

"$FIXTURE" --format sarif --none >"$TMP/none.sarif" 2>/dev/null
is "$?" 0 "no findings exit 0"
is "$(jq -c '.runs[0].results' "$TMP/none.sarif")" "[]" "no findings: empty results"
check_sarif "$TMP/none.sarif" "multitool: no errors or warnings without findings"

"$FIXTURE" --format sarif --problem >"$TMP/problem.sarif" 2>/dev/null
is "$(jq -r '.runs[0].invocations[0].executionSuccessful' "$TMP/problem.sarif")" false \
    "problem marks the run unsuccessful"
is "$(jq -r '.runs[0].invocations[0].toolExecutionNotifications[0].message.text' "$TMP/problem.sarif")" \
    "cannot read 'secrets/vault.bin': permission denied" "problem is a notification"
check_sarif "$TMP/problem.sarif" "multitool: no errors or warnings with a problem"

# The multitool must catch real mistakes, or the checks above prove nothing.
jq 'del(.runs[0].results[0].locations)' "$TMP/raw.sarif" >"$TMP/broken.sarif"
validate_sarif "$TMP/broken.sarif" >"$TMP/broken.log"
like "$(cat "$TMP/broken.log")" '\.sarif\([0-9,]+\): error GH' "multitool reports a result without locations"

run='.runs[0]'
is "$(jq -r "$run.tool.driver.rules | length" "$TMP/raw.sarif")" 7 "one rule per rule id in the results"
is "$(jq -r "[$run.tool.driver.rules[].id] | unique | length" "$TMP/raw.sarif")" 7 "rule ids are unique"
is "$(jq -r "[$run.results[] as \$r | $run.tool.driver.rules[\$r.ruleIndex].id == \$r.ruleId] | all" "$TMP/raw.sarif")" \
    true "every ruleIndex points at its rule"
is "$(jq -r "$run.results[] | select(.ruleId == \"aws-access-key-id\") | .locations[0].physicalLocation | [.artifactLocation.uri, .artifactLocation.uriBaseId, .region.startLine, .region.startColumn, .region.endColumn] | @tsv" "$TMP/raw.sarif")" \
    "$(printf '.env\t%%SRCROOT%%\t1\t19\t39')" "context finding location"
is "$(jq -r "$run.results[] | select(.ruleId == \"aws-access-key-id\") | .partialFingerprints[\"guardFingerprint/v1\"]" "$TMP/raw.sarif")" \
    "$(jq -r '.findings[] | select(.rule == "aws-access-key-id") | .fingerprint' "$ROOT/tests/fixtures/report/report.json.expected")" \
    "partial fingerprint is guard's fingerprint"
is "$(jq -r "$run.results[] | select(.ruleId == \"aws-access-key-id\") | .level" "$TMP/raw.sarif")" error "critical maps to error"
is "$(jq -r "$run.results[] | select(.ruleId == \"generic-password\") | .level" "$TMP/raw.sarif" | sort -u)" warning "medium maps to warning"
is "$(jq -r "$run.tool.driver.rules[] | select(.id == \"aws-access-key-id\") | .properties[\"security-severity\"]" "$TMP/raw.sarif")" \
    9.5 "critical has security-severity 9.5"
is "$(jq -r "$run.originalUriBaseIds[\"%SRCROOT%\"].uri" "$TMP/raw.sarif")" "file:///srv/repo/" "SRCROOT is an absolute folder URI"
is "$(jq -r "$run.results[] | select(.ruleId == \"github-pat\") | .locations[0].physicalLocation.artifactLocation.uri" "$TMP/raw.sarif" | sort | head -1)" \
    "docs/odd%20%1B%5B31mname%E9.md" "odd bytes in a path are percent-encoded"
is "$(jq -r "$run.results[] | select(.ruleId == \"private-key-file\") | .locations[0].physicalLocation.region.startLine" "$TMP/raw.sarif")" \
    1 "file-name finding points at line 1"

# Columns after non-ASCII text: SARIF counts UTF-16 code units, JSON bytes.
# "naïve 🙂 key = " is 18 bytes, 14 characters and 15 UTF-16 units (the
# emoji takes two).
mkdir -p "$TMP/utf8"
key=AKIA$(LC_ALL=C tr -dc 'A-Z2-7' < /dev/urandom | head -c 16)
printf 'naïve 🙂 key = %s\n' "$key" > "$TMP/utf8/notes.txt"
"$GUARD" scan context --format sarif "$TMP/utf8" > "$TMP/utf8.sarif" 2>/dev/null
"$GUARD" scan context --format json "$TMP/utf8" > "$TMP/utf8.json" 2>/dev/null
is "$(jq -r '.runs[0].results[] | select(.ruleId == "aws-access-key-id") | .locations[0].physicalLocation.region | "\(.startColumn) \(.endColumn)"' "$TMP/utf8.sarif")" \
    "16 36" "non-ASCII line: SARIF columns in UTF-16 units"
is "$(jq -r '.findings[] | select(.rule == "aws-access-key-id") | "\(.column) \(.end_column)"' "$TMP/utf8.json")" \
    "19 39" "non-ASCII line: JSON columns in bytes"

done_testing
