#!/bin/sh
# Which commits 'guard hook pre-push' scans for each kind of pushed ref,
# checked with --dry-run and the input lines git writes to the hook.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

zero=0000000000000000000000000000000000000000
zero256=0000000000000000000000000000000000000000000000000000000000000000

git init -q --bare "$TMP/origin.git"
git clone -q "$TMP/origin.git" "$TMP/work" 2>/dev/null
cd "$TMP/work" || exit 1
echo base > base.txt && git add base.txt && commit -m "base"
echo more > more.txt && git add more.txt && commit -m "more"
git push -q origin main 2>/dev/null

# dry SUBJECT-LIST: runs the hook on stdin and prints "SUBJECT PATH".
dry() {
	"$GUARD" hook pre-push --dry-run origin "$TMP/origin.git" 2>"$TMP/dry.err" |
	while read -r c p b; do
		echo "$(git log -1 --format=%s "$c") $p"
	done
}

git checkout -q -b topic
echo t1 > t1.txt && git add t1.txt && commit -m "topic one"
echo t2 > t2.txt && git add t2.txt && commit -m "topic two"
topic=$(git rev-parse topic)
main=$(git rev-parse main)

out=$(echo "refs/heads/topic $topic refs/heads/topic $zero" | dry)
is "$out" "topic one t1.txt
topic two t2.txt" "new branch: only commits no remote-tracking ref has"

out=$(echo "refs/heads/topic $topic refs/heads/topic $(git rev-parse topic~1)" | dry)
is "$out" "topic two t2.txt" "update: only commits after the remote's"

out=$(echo "refs/heads/topic $topic refs/heads/topic 1111111111111111111111111111111111111111" | dry)
is "$out" "topic one t1.txt
topic two t2.txt" "unknown remote commit: new-branch rule"

out=$(echo "(delete) $zero refs/heads/old $main" | dry)
is "$out" "" "deletion scans nothing"
"$GUARD" hook pre-push origin "$TMP/origin.git" <<EOF2 >/dev/null 2>&1
(delete) $zero refs/heads/old $main
EOF2
is $? 0 "deletion exits 0"

out=$(echo "(delete) $zero256 refs/heads/old $zero256" | dry)
is "$out" "" "SHA-256 zero id is a deletion"

git checkout -q -b second main
echo s1 > s1.txt && git add s1.txt && commit -m "second one"
second=$(git rev-parse second)
out=$(printf 'refs/heads/topic %s refs/heads/topic %s\nrefs/heads/second %s refs/heads/second %s\n' \
	"$topic" "$(git rev-parse topic~1)" "$second" "$zero" | dry | sort)
is "$out" "second one s1.txt
topic two t2.txt" "two refs: both updates are scanned"

# A force push after rewriting: the rewritten commits are new.
git checkout -q topic
git reset -q --hard main
echo r1 > r1.txt && git add r1.txt && commit -m "rewritten"
out=$(echo "refs/heads/topic $(git rev-parse HEAD) refs/heads/topic $topic" | dry)
is "$out" "rewritten r1.txt" "force push scans the new commits only"

# The pre-commit framework passes the range in the environment.
out=$(PRE_COMMIT_FROM_REF=$main PRE_COMMIT_TO_REF=$second dry < /dev/null)
is "$out" "second one s1.txt" "pre-commit framework range from the environment"

# Bad input fails closed.
echo "refs/heads/topic nothex refs/heads/topic $zero" |
	"$GUARD" hook pre-push origin "$TMP/origin.git" >/dev/null 2>"$TMP/err"
is $? 3 "invalid line blocks the push"
like "$(cat "$TMP/err")" "push blocked" "invalid line: says the push is blocked"
like "$(cat "$TMP/err")" "git push --no-verify" "invalid line: names the bypass"

echo "refs/heads/topic 2222222222222222222222222222222222222222 refs/heads/topic $zero" |
	"$GUARD" hook pre-push origin "$TMP/origin.git" >/dev/null 2>"$TMP/err"
ok $(( $? == 0 )) "unknown local commit blocks the push"
like "$(cat "$TMP/err")" "not in this repository" "unknown local commit is named"

echo "refs/heads/topic $(printf 'ab%.0s' $(seq 32)) refs/heads/topic $zero256" |
	"$GUARD" hook pre-push origin "$TMP/origin.git" >/dev/null 2>"$TMP/err"
ok $(( $? == 0 )) "SHA-256 id blocks the push with this libgit2"

echo "refs/heads/topic $topic" | "$GUARD" hook pre-push origin "$TMP/origin.git" >/dev/null 2>&1
ok $(( $? == 0 )) "short line blocks the push"

"$GUARD" hook pre-push onlyone >/dev/null 2>"$TMP/err" < /dev/null
is $? 2 "one argument is a usage error"
like "$(cat "$TMP/err")" "invalid arguments 'onlyone':" "one argument: the argument is named"

# Options may follow the remote and URL.
line="refs/heads/second $second refs/heads/second $main"
out=$(echo "$line" | "$GUARD" hook pre-push origin "$TMP/origin.git" --dry-run 2>/dev/null)
is "$?" 0 "--dry-run after REMOTE URL: exit 0"
is "$(echo "$out" | cut -d' ' -f2)" "s1.txt" "--dry-run after REMOTE URL: applies"
echo "$line" | "$GUARD" hook pre-push origin "$TMP/origin.git" -q >/dev/null 2>"$TMP/err"
is "$?" 0 "-q after REMOTE URL: exit 0"
is "$(cat "$TMP/err")" "" "-q after REMOTE URL: applies"

# After "--" (as the installed hook passes them), a remote name that
# starts with '-' is a remote name, not an option.
echo "$line" | "$GUARD" hook pre-push -- -q "$TMP/origin.git" >/dev/null 2>"$TMP/err"
is "$?" 0 "remote named -q after --: exit 0"
like "$(cat "$TMP/err")" "git: walked 1 commit" "remote named -q after --: not read as -q"
"$GUARD" hook pre-push -q origin "$TMP/origin.git" extra >/dev/null 2>"$TMP/err" < /dev/null
is $? 2 "three arguments are a usage error"
like "$(cat "$TMP/err")" "invalid arguments 'origin' '$TMP/origin.git' 'extra'" \
	"three arguments: all are named"

done_testing
