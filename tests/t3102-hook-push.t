#!/bin/sh
# Real 'git push' runs to a local bare repository through the installed
# pre-push hook.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

git init -q --bare "$TMP/origin.git"
git clone -q "file://$TMP/origin.git" "$TMP/work" 2>/dev/null
cd "$TMP/work" || exit 1
"$GUARD" hook install > /dev/null

remote_has() {
	git --git-dir="$TMP/origin.git" rev-parse -q --verify "refs/heads/$1" > /dev/null
}

push() {
	git push "$@" > "$TMP/push.out" 2>&1
}

echo "hello" > README && git add README && commit -m "readme"
push origin main
is $? 0 "clean push passes"
remote_has main
ok $? "clean push reached the remote"

printf 'token = %s\n' "$(fake_github_token)" > leak.txt && git add leak.txt && commit -m "leak"
push origin main
ok $(( $? == 0 )) "push with a secret is blocked"
like "$(cat "$TMP/push.out")" "leak.txt:1" "blocked push names the path and line"
like "$(cat "$TMP/push.out")" "github-pat" "blocked push names the rule"
like "$(cat "$TMP/push.out")" "$(git rev-parse HEAD)" "blocked push names the commit"
like "$(cat "$TMP/push.out")" "git rebase -i" "blocked push says how to rewrite"
like "$(cat "$TMP/push.out")" "rotate" "blocked push says to rotate"
like "$(cat "$TMP/push.out")" "git push --no-verify" "blocked push names the bypass"
is "$(git --git-dir="$TMP/origin.git" rev-parse main)" "$(git rev-parse HEAD~1)" \
	"blocked push left the remote unchanged"

# Pushed anyway, the secret is on the remote; a new branch off main must
# not be blocked by it.
push --no-verify origin main
is $? 0 "--no-verify bypasses the hook"
git checkout -q -b topic
echo "topic" > topic.txt && git add topic.txt && commit -m "topic work"
push origin topic
is $? 0 "new branch off main scans only its own commits"

# Two refs where only the second carries a secret.
git checkout -q -b clean main
echo "fine" > fine.txt && git add fine.txt && commit -m "clean work"
git checkout -q -b dirty main
printf 'key = %s\n' "$(fake_github_token)" > dirty.txt && git add dirty.txt && commit -m "dirty work"
push origin clean dirty
ok $(( $? == 0 )) "two refs, secret in the second: blocked"
like "$(cat "$TMP/push.out")" "dirty.txt" "two refs: the second ref's finding is shown"
remote_has clean
ok $(( $? == 0 )) "two refs: nothing was pushed"

push origin --delete topic
is $? 0 "branch deletion passes"
remote_has topic
ok $(( $? == 0 )) "branch deletion reached the remote"

# Rewriting a pushed branch: the force push scans the new commits.
push origin clean
is $? 0 "clean branch pushes"
git checkout -q clean
printf 'late = %s\n' "$(fake_github_token)" >> fine.txt && git add fine.txt && commit -q --amend -m "clean work, amended"
push --force origin clean
ok $(( $? == 0 )) "force push with a new secret is blocked"
like "$(cat "$TMP/push.out")" "fine.txt" "force push: the rewritten file is named"
git reset -q --hard main
echo "redone" > redone.txt && git add redone.txt && commit -m "redone"
push --force origin clean
is $? 0 "force push of clean commits passes"

# Annotated tags are peeled to their commit.
git tag -a -m "release one" v1 main
push origin v1
is $? 0 "annotated tag of pushed commits passes"
git tag -a -m "release two" v2 dirty
push origin v2
ok $(( $? == 0 )) "annotated tag of a commit with a secret is blocked"
like "$(cat "$TMP/push.out")" "dirty.txt" "tag push: the finding is shown"

done_testing
