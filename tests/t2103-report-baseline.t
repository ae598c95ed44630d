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

# So is a SARIF report.
"$FIXTURE" --format sarif --output "$TMP/report.sarif" 2>/dev/null
"$FIXTURE" --baseline "$TMP/report.sarif" >/dev/null 2>"$TMP/sarif-err"
is "$?" 0 "a SARIF report works as a baseline"
like "$(cat "$TMP/sarif-err")" '10 baselined; 0 findings$' "SARIF baseline covers every finding"

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

printf '{"runs": "x"}' >"$TMP/neither.json"
"$FIXTURE" --baseline "$TMP/neither.json" >/dev/null 2>"$TMP/neither-err"
is "$?" 3 "baseline without findings or runs: exit 3"
like "$(cat "$TMP/neither-err")" 'expected an object with a "findings" array, or a SARIF log' "wrong shape is named"

printf 'not json' >"$TMP/garbage.json"
"$FIXTURE" --baseline "$TMP/garbage.json" >/dev/null 2>"$TMP/garbage-err"
is "$?" 3 "malformed baseline: exit 3"
like "$(cat "$TMP/garbage-err")" "invalid baseline '.*garbage.json': line 1" "malformed baseline names the line"

"$FIXTURE" --write-baseline "$TMP/no/such/dir/b.json" >/dev/null 2>"$TMP/wb-err"
is "$?" 3 "unwritable baseline: exit 3"
like "$(cat "$TMP/wb-err")" "cannot write baseline" "unwritable baseline is named"

# guard's own files: a committed baseline and reports in every format hold
# fingerprints such as "generic-password:<hex>:<hex>", which must not read
# as password assignments, or a committed baseline would never settle.
. "$ROOT/tests/lib/git.sh"
git init -q "$TMP/own" && cd "$TMP/own" || exit 1
printf 'password = "Sup3rS3cr3tValue!x"\nsecret = "An0therS3cretValue42"\n' > app.conf
printf 'token = "%s"\napi_key = "%s"\n' "$(random_chars 'A-Za-z0-9' 32)" \
	"$(random_chars 'A-Za-z0-9' 32)" >> app.conf
git add . && commit -m "config"
printf 'baseline: .guard-baseline.json\n' > .guard.yaml
"$GUARD" scan git -q --write-baseline .guard-baseline.json > /dev/null 2>&1
"$GUARD" scan git -q --format json --output guard.json > /dev/null 2>&1
"$GUARD" scan git -q --format sarif --output guard.sarif > /dev/null 2>&1
"$GUARD" scan git -q --format text --output guard.txt > /dev/null 2>&1
is "$(jq '.findings | length' .guard-baseline.json)" 4 "own files: the baseline has the four generic findings"
git add -A && commit -m "accept the findings"
"$GUARD" scan git > "$TMP/own.out" 2> "$TMP/own.err"
is $? 0 "own files: history with a committed baseline and reports is clean"
[ -s "$TMP/own.out" ] && sed 's/^/# /' "$TMP/own.out" | head -10
printf '.git\n' > .dockerignore
"$GUARD" scan context --format json . > "$TMP/own.json" 2> /dev/null
is "$(jq -r '[.findings[].path] | unique | join(" ")' "$TMP/own.json")" "app.conf" \
	"own files: a context scan reports only app.conf"

done_testing
