#!/usr/bin/env bash
# The GitHub Actions step: action.yml and the example workflow pass a real
# validator, and ci/run.sh, run locally with GITHUB_* variables and event
# payloads, scans exactly the commits each event adds.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/report.sh"

NODE_DIR=$ROOT/tests/node_modules
validator=$NODE_DIR/node_modules/.bin/action-validator
if [ ! -x "$validator" ]; then
	npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" @action-validator/cli@0.6.0 > "$TMP/npm.log" 2>&1
fi
[ -x "$validator" ]
ok $? "action-validator is installed"

"$validator" "$ROOT/ci/action.yml" > "$TMP/v1" 2>&1
ok $? "action.yml passes action-validator"
"$validator" "$ROOT/ci/example-workflow.yml" > "$TMP/v2" 2>&1
ok $? "example workflow passes action-validator"

# A token of GitHub's classic shape, made up for this test.
token() {
	printf 'ghp_%s' "$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)"
}

export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.org
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.org
git init -q --bare "$TMP/origin.git"
git init -q -b main "$TMP/repo"
cd "$TMP/repo" || exit 1
git remote add origin "file://$TMP/origin.git"
echo "hello" > README
git add README && git commit -q -m "Add README"
c1=$(git rev-parse HEAD)
printf 'GITHUB_TOKEN=%s\n' "$(token)" > main-secret.env.txt
git add . && git commit -q -m "Add a main secret"
c2=$(git rev-parse HEAD)
git push -q origin main 2>/dev/null
git fetch -q origin
git checkout -q -b feature
printf 'token = "%s"\n' "$(token)" > feature-secret.txt
git add . && git commit -q -m "Add a feature secret"
c3=$(git rev-parse HEAD)

# run_action EVENT PAYLOAD: runs ci/run.sh for scan-git with JSON output and
# prints the files of the findings, sorted and unique.
run_action() {
	rm -f "$TMP/out.json" "$TMP/summary" "$TMP/outputs"
	GITHUB_EVENT_NAME=$1 GITHUB_EVENT_PATH=$2 GITHUB_STEP_SUMMARY=$TMP/summary \
	GITHUB_OUTPUT=$TMP/outputs GUARD_RUN=scan-git GUARD_FORMAT=json \
	GUARD_OUTPUT=$TMP/out.json GUARD_FAIL_ON=low \
		bash "$ROOT/ci/run.sh" 2> "$TMP/action.err"
	echo $? > "$TMP/rc"
	jq -r '[.findings[].path] | unique | .[]' "$TMP/out.json" 2>/dev/null
}

cat > "$TMP/push.json" <<JSON
{"ref":"refs/heads/main","before":"$c1","after":"$c2","repository":{"default_branch":"main"}}
JSON
files=$(run_action push "$TMP/push.json")
is "$(cat "$TMP/rc")" 1 "push with a secret fails the step"
is "$files" "main-secret.env.txt" "push scans before..after only"
grep -q "running: guard scan git $c1..$c2" "$TMP/action.err"
ok $? "push range is before..after"
grep -q '^findings=[1-9]' "$TMP/outputs"
ok $? "findings output is set"
grep -q '| scan-git |' "$TMP/summary"
ok $? "step summary has a row"

cat > "$TMP/newbranch.json" <<JSON
{"ref":"refs/heads/feature","before":"0000000000000000000000000000000000000000","after":"$c3","repository":{"default_branch":"main"}}
JSON
files=$(run_action push "$TMP/newbranch.json")
is "$(cat "$TMP/rc")" 1 "new branch with a secret fails the step"
is "$files" "feature-secret.txt" "new branch scans only its own commits"
grep -q "running: guard scan git $c3 ^refs/remotes/origin/main" "$TMP/action.err"
ok $? "new branch range excludes the default branch"

cat > "$TMP/pr.json" <<JSON
{"pull_request":{"base":{"sha":"$c2"},"head":{"sha":"$c3"}}}
JSON
files=$(run_action pull_request "$TMP/pr.json")
is "$(cat "$TMP/rc")" 1 "pull request with a secret fails the step"
is "$files" "feature-secret.txt" "pull request scans base..head"

cat > "$TMP/clean.json" <<JSON
{"ref":"refs/heads/main","before":"$c2","after":"$c2","repository":{"default_branch":"main"}}
JSON
files=$(run_action push "$TMP/clean.json")
is "$(cat "$TMP/rc")" 0 "push without new commits passes"

cat > "$TMP/delete.json" <<JSON
{"ref":"refs/heads/old","before":"$c2","after":"0000000000000000000000000000000000000000","repository":{"default_branch":"main"}}
JSON
run_action push "$TMP/delete.json" > /dev/null
is "$(cat "$TMP/rc")" 0 "branch deletion passes"

# SARIF by default, and fail-on above the findings' severity passes.
rm -f "$TMP/out.sarif"
GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=$TMP/push.json GUARD_RUN=scan-git \
GUARD_OUTPUT=$TMP/out.sarif bash "$ROOT/ci/run.sh" 2> /dev/null
is $? 1 "sarif report with findings fails"
jq -e '.version == "2.1.0" and (.runs[0].results | length) > 0' "$TMP/out.sarif" > /dev/null
ok $? "sarif report has results"

install_validators
validate_sarif "$TMP/out.sarif" > "$TMP/sarif-check.txt"
! grep -q ' error ' "$TMP/sarif-check.txt"
ok $? "scan-git SARIF passes the SARIF Multitool"

# pin-check: guard pin --check's JSON turned into SARIF by the action.
printf 'FROM alpine:3.20\nFROM busybox@sha256:%s\n' "$(printf '%064d' 0)" > Dockerfile
GUARD_RUN=pin-check GUARD_PATH=Dockerfile GUARD_OUTPUT=$TMP/pin.sarif \
	GITHUB_STEP_SUMMARY=$TMP/pin-summary GITHUB_OUTPUT=$TMP/pin-outputs \
	bash "$ROOT/ci/run.sh" 2> "$TMP/pin.err"
is $? 1 "pin-check with an unpinned reference fails"
is "$(jq '.runs[0].results | length' "$TMP/pin.sarif")" 1 "pin-check reports one unpinned reference"
is "$(jq -r '.runs[0].results[0].locations[0].physicalLocation.region.startLine' "$TMP/pin.sarif")" 1 \
	"pin-check result has the line"
validate_sarif "$TMP/pin.sarif" > "$TMP/pin-check.txt"
! grep -q ' error ' "$TMP/pin-check.txt"
ok $? "pin-check SARIF passes the SARIF Multitool"
grep -q '^findings=1$' "$TMP/pin-outputs"
ok $? "pin-check counts the unpinned reference"
rm -f Dockerfile

# Several checks write one report each, named after the check.
GUARD_RUN="scan-context,scan-git" GUARD_OUTPUT=$TMP/multi.sarif GITHUB_EVENT_NAME=push \
	GITHUB_EVENT_PATH=$TMP/push.json bash "$ROOT/ci/run.sh" 2> /dev/null
[ -s "$TMP/multi-scan-context.sarif" ] && [ -s "$TMP/multi-scan-git.sarif" ]
ok $? "several checks write one report each"

GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH=$TMP/push.json GUARD_RUN=scan-git GUARD_FAIL_ON=none \
GUARD_OUTPUT=$TMP/none.sarif bash "$ROOT/ci/run.sh" 2> /dev/null
is $? 0 "fail-on none passes with findings"

GUARD_RUN=scan-everything bash "$ROOT/ci/run.sh" 2> /dev/null
is $? 2 "unknown check is a usage error"

done_testing
