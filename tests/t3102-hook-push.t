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
is "$(grep -c '^guard:' "$TMP/push.out")" 1 "clean push: guard prints one line"
like "$(cat "$TMP/push.out")" "^guard: git: walked 1 commit, scanned 1 unique blob \(6 bytes\) in [0-9.]+ s; no secrets found" \
	"clean push: the line counts what was scanned"

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

# git passes a remote name that starts with '-' to the hook as it is.
git remote add -- -q "file://$TMP/origin.git"
git checkout -q -b dashed main
echo "dashed" > dashed.txt && git add dashed.txt && commit -m "dashed remote"
push -- -q dashed
is $? 0 "remote named -q: clean push passes"
like "$(cat "$TMP/push.out")" "git: walked 1 commit" "remote named -q: the hook scanned the push"
remote_has dashed
ok $? "remote named -q: the push reached the remote"

# A blob over the default 10M cap is not scanned, so the push is blocked.
git checkout -q -b large main
{ head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' 'a'; printf '\ntoken = %s\n' "$(fake_github_token)"; } \
	> large.txt
git add large.txt && commit -m "large file"
push origin large
is $? 1 "blob over the default cap blocks the push"
like "$(cat "$TMP/push.out")" "too large to scan 'large.txt' at commit $(git rev-parse HEAD)" \
	"large blob: the path and commit are named"
like "$(cat "$TMP/push.out")" "$(wc -c < large.txt | tr -d ' ') bytes, over the maximum blob size of 10485760 bytes" \
	"large blob: the size and the cap are named"
like "$(cat "$TMP/push.out")" "set scan.max-file-size to 11M in .guard.yaml" "large blob: says how to raise the cap"
like "$(cat "$TMP/push.out")" "git push --no-verify" "large blob: names the bypass"
remote_has large
ok $(( $? == 0 )) "large blob: nothing was pushed"
printf 'scan:\n  max-file-size: 11M\n' > .guard.yaml
push origin large
ok $(( $? == 0 )) "raised cap: the secret in the large blob blocks the push"
like "$(cat "$TMP/push.out")" "large.txt:2" "raised cap: the finding is shown"
"$GUARD" hook pre-push --max-blob-size 1K origin "$TMP/origin.git" > /dev/null 2> "$TMP/err" <<EOF2
refs/heads/large $(git rev-parse HEAD) refs/heads/large 0000000000000000000000000000000000000000
EOF2
is $? 3 "hook pre-push: a blob over --max-blob-size exits 3"
rm .guard.yaml

done_testing
