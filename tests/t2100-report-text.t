#!/bin/sh
# Text report: grouping, layout, colour rules, summary, exit codes and
# --output, through the report fixture program.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/report.sh"

"$FIXTURE" >"$TMP/out" 2>"$TMP/err"
is "$?" 1 "findings exit 1"
if diff -u "$ROOT/tests/fixtures/report/text.expected" "$TMP/out" >"$TMP/diff"; then
	ok 0 "text matches the snapshot"
else
	ok 1 "text matches the snapshot"
	sed 's/^/# /' "$TMP/diff" | head -40
fi
like "$(cat "$TMP/err")" \
    '^guard: scanned 42 files \(1\.5 MiB\); skipped 3 binary, 1 too large, 0 unreadable, 5 ignored; 2 allowed, 0 baselined; 10 findings$' \
    "summary line on stderr"
unlike "$(cat "$TMP/out")" "$(printf '\033')" "no escape bytes when stdout is a pipe"
like "$(cat "$TMP/out")" 'docs/odd \\x1b\[31mname\\xe9\.md:3:1' "control bytes in paths are escaped"
like "$(cat "$TMP/out")" 'step: RUN \|1 NPM_TOKEN=… /bin/sh -c npm ci && echo … > /app/.npmrc # buildkit' "values in a step are redacted"
like "$(cat "$TMP/out")" 'step: RUN echo login … \| tee /dev/null # buildkit' "secret of a history finding is masked"
assert_no_secrets "text" "$TMP/out" "$TMP/err"

# Colour only on a terminal, and never with NO_COLOR set.
script -qec "$FIXTURE" /dev/null >"$TMP/tty" 2>&1
like "$(cat "$TMP/tty")" "$(printf '\033')\\[1;31mCRITICAL" "severity coloured on a terminal"
NO_COLOR=1 script -qec "$FIXTURE" /dev/null >"$TMP/tty-nc" 2>&1
unlike "$(cat "$TMP/tty-nc")" "$(printf '\033')\\[" "NO_COLOR turns colour off"

"$FIXTURE" --none >"$TMP/none" 2>"$TMP/none-err"
is "$?" 0 "no findings exit 0"
is "$(cat "$TMP/none")" "" "no findings print nothing on stdout"
like "$(cat "$TMP/none-err")" '; 0 findings$' "summary counts 0 findings"

"$FIXTURE" -q >/dev/null 2>"$TMP/quiet"
is "$(cat "$TMP/quiet")" "" "-q drops the summary"

"$FIXTURE" --summary "7 commits walked" >/dev/null 2>"$TMP/extra"
like "$(cat "$TMP/extra")" '^guard: 7 commits walked$' "extra summary line"

"$FIXTURE" --output "$TMP/report.txt" >"$TMP/stdout" 2>/dev/null
is "$?" 1 "--output keeps the exit code"
is "$(cat "$TMP/stdout")" "" "--output leaves stdout empty"
if cmp -s "$TMP/report.txt" "$ROOT/tests/fixtures/report/text.expected"; then
	ok 0 "--output file has the report"
else
	ok 1 "--output file has the report"
fi

"$FIXTURE" --problem >"$TMP/p-out" 2>"$TMP/p-err"
is "$?" 3 "unreadable input beats findings: exit 3"
like "$(cat "$TMP/p-err")" "^guard: cannot read 'secrets/vault.bin': permission denied$" "problem printed"
like "$(cat "$TMP/p-err")" '^guard: scan incomplete: 1 item could not be read in full \(listed above\)$' "incomplete scan says how many"
"$FIXTURE" --none --problem >/dev/null 2>&1
is "$?" 3 "unreadable input without findings: exit 3"

"$FIXTURE" --output "$TMP/missing/dir/report.txt" >/dev/null 2>"$TMP/o-err"
is "$?" 3 "unwritable --output: exit 3"
like "$(cat "$TMP/o-err")" "cannot write the report" "unwritable --output names the failure"

done_testing
