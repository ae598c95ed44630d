#!/bin/sh
# Baselines: --write-baseline then --baseline suppresses every finding,
# a JSON report works as a baseline, and bad baselines fail loudly.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/report.sh"

"$FIXTURE" --write-baseline "$TMP/baseline.json" >/dev/null 2>"$TMP/w-err"
is "$?" 1 "writing a baseline still reports the findings"
is "$(jq -r .version "$TMP/baseline.json")" 1 "baseline has a version"
is "$(jq '.findings | length' "$TMP/baseline.json")" 10 "baseline lists each fingerprint once"
is "$(jq -r '[.findings[].fingerprint] == ([.findings[].fingerprint] | sort)' "$TMP/baseline.json")" \
    true "baseline is sorted by fingerprint"
is "$(jq -r '.findings[] | select(.rule == "slack-bot-token") | [.path, .commit, .preview] | @tsv' "$TMP/baseline.json")" \
    "$(printf 'deploy/notify.sh\t0123456789abcdef0123456789abcdef01234567\txoxb…(36 chars)')" \
    "baseline entry has rule, path, commit and preview"
assert_no_secrets "baseline" "$TMP/baseline.json" "$TMP/w-err"

"$FIXTURE" --baseline "$TMP/baseline.json" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "all findings baselined: exit 0"
is "$(cat "$TMP/out")" "" "nothing reported"
like "$(cat "$TMP/err")" '; 2 allowed, 10 baselined; 0 findings$' "summary counts the baselined findings"

"$FIXTURE" --baseline "$TMP/baseline.json" --format json >"$TMP/out.json" 2>/dev/null
is "$(jq .summary.findings_baselined "$TMP/out.json")" 10 "JSON summary counts the baselined findings"

# Keep all but one finding in the baseline: only that one is reported.
jq '.findings |= map(select(.rule != "aws-access-key-id"))' "$TMP/baseline.json" >"$TMP/partial.json"
"$FIXTURE" --baseline "$TMP/partial.json" --format json >"$TMP/partial-out.json" 2>/dev/null
is "$?" 1 "a new finding still fails"
is "$(jq -r '[.findings[].rule] | join(",")' "$TMP/partial-out.json")" aws-access-key-id "only the new finding is reported"

# A JSON report is a baseline too.
"$FIXTURE" --format json --output "$TMP/report.json" 2>/dev/null
"$FIXTURE" --baseline "$TMP/report.json" >/dev/null 2>&1
is "$?" 0 "a JSON report works as a baseline"

# Rewriting the baseline while one is in use keeps the old entries.
"$FIXTURE" --baseline "$TMP/partial.json" --write-baseline "$TMP/rewritten.json" >/dev/null 2>&1
is "$(jq '.findings | length' "$TMP/rewritten.json")" 10 "rewritten baseline keeps baselined findings"

"$FIXTURE" --baseline "$TMP/nothing.json" >/dev/null 2>"$TMP/missing-err"
is "$?" 3 "missing baseline: exit 3"
like "$(cat "$TMP/missing-err")" "cannot read baseline: .*nothing.json" "missing baseline is named"

printf '{"findings": [{"rule": "x"}]}' >"$TMP/bad.json"
"$FIXTURE" --baseline "$TMP/bad.json" >/dev/null 2>"$TMP/bad-err"
is "$?" 3 "baseline entry without a fingerprint: exit 3"
like "$(cat "$TMP/bad-err")" 'findings\[0\] has no "fingerprint" string' "bad entry is named"

printf 'not json' >"$TMP/garbage.json"
"$FIXTURE" --baseline "$TMP/garbage.json" >/dev/null 2>"$TMP/garbage-err"
is "$?" 3 "malformed baseline: exit 3"
like "$(cat "$TMP/garbage-err")" "invalid baseline '.*garbage.json': line 1" "malformed baseline names the line"

"$FIXTURE" --write-baseline "$TMP/no/such/dir/b.json" >/dev/null 2>"$TMP/wb-err"
is "$?" 3 "unwritable baseline: exit 3"
like "$(cat "$TMP/wb-err")" "cannot write baseline" "unwritable baseline is named"

done_testing
