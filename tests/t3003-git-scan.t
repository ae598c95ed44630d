#!/bin/sh
# 'guard scan git' end to end: findings attributed to the commit that added
# them, once per path, through merges, renames, binary, large and CRLF files.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

# found [ARGS]: "SUBJECT PATH LINE" for each finding of guard scan git.
found() {
	"$GUARD" scan git --format json "$@" > "$TMP/scan.json" 2> "$TMP/scan.err"
	echo $? > "$TMP/scan.rc"
	jq -r '.findings[] | "\(.commit.subject // "staged") \(.path) \(.line)"' "$TMP/scan.json" | sort
}

git init -q "$TMP/repo" && cd "$TMP/repo" || exit 1
echo "hello" > README && git add README && commit -m "readme"
is "$(found)" "" "clean history: no findings"
is "$(cat "$TMP/scan.rc")" 0 "clean history exits 0"

first_token=$(fake_github_token)
printf 'x = 1\ntoken = %s\n' "$first_token" > secret.txt
git add secret.txt && commit -m "add secret"
git rm -q secret.txt && commit -m "delete secret"
is "$(found)" "add secret secret.txt 2" "deleted secret: one finding at the adding commit"
is "$(cat "$TMP/scan.rc")" 1 "findings exit 1"
is "$(jq -r '.findings[0].rule' "$TMP/scan.json")" "github-pat" "finding names the rule"
is "$(jq -r '.findings[0].commit.author' "$TMP/scan.json")" "Test Author <author@test.invalid>" \
	"finding names the author"
like "$(jq -r '.findings[0].commit.date' "$TMP/scan.json")" '^2023-11-14T2[0-9]:[0-9]{2}:[0-9]{2}\+00:00$' \
	"finding has the commit date in ISO 8601"
like "$(cat "$TMP/scan.err")" "walked 3 commits, scanned 2 unique blobs" "summary counts commits and blobs"
found HEAD~2 > /dev/null
like "$(cat "$TMP/scan.err")" "walked 1 commit, scanned 1 unique blob " "summary: singular counts"
if grep -q "$first_token" "$TMP/scan.json" "$TMP/scan.err"; then ok 1 "secret is not printed"; else ok 0 "secret is not printed"; fi

"$GUARD" scan git --write-baseline "$TMP/baseline.json" > /dev/null 2>&1
ok $(( $? == 0 )) "--write-baseline keeps the findings exit code"
"$GUARD" scan git --baseline "$TMP/baseline.json" > /dev/null 2>&1
is $? 0 "--baseline hides the recorded findings"

# The same blob in two files, and on a second branch.
shared="key = $(fake_github_token)"
echo "$shared" > one.txt && echo "$shared" > two.txt
git add one.txt two.txt && commit -m "two copies"
git checkout -q -b side HEAD~1
echo "$shared" > one.txt && git add one.txt && commit -m "same on side"
git checkout -q main
out=$(found | grep -v secret.txt)
is "$out" "two copies one.txt 1
two copies two.txt 1" "same secret: once per path, no duplicates across branches"

# Renames: unchanged, and with an edit that keeps the secret.
git mv two.txt moved.txt && commit -m "rename"
git mv moved.txt edited.txt && echo "more" >> edited.txt && git add edited.txt && commit -m "rename and edit"
out=$(found | grep -E 'moved|edited')
is "$out" "" "renamed file: no second finding"

# A merge whose resolution keeps one side's secret and adds a new one.
git checkout -q -b left main
printf 'base\nleft = %s\n' "$(fake_github_token)" > conflict.txt
git add conflict.txt && commit -m "left side"
git checkout -q -b right main
printf 'base\nright side\n' > conflict.txt && git add conflict.txt && commit -m "right side"
git checkout -q left
git merge -q right > /dev/null 2>&1
{ echo base; git show left:conflict.txt | sed -n 2p; printf 'resolved = %s\n' "$(fake_github_token)"; } \
	> conflict.txt
git add conflict.txt && commit -m "merge with resolution"
out=$(found | grep conflict.txt)
is "$out" "left side conflict.txt 2
merge with resolution conflict.txt 3" "merge: only the secret no parent had is the merge's"

# Binary, too large and CRLF files.
git checkout -q main
{ printf 'PK\003\004\000\000'; printf 'token=%s' "$(fake_github_token)"; printf '\000\001\002'; } > blob.bin
awk 'BEGIN { for (i = 0; i < 200; i++) print "filler line number " i }' > big.txt
printf 'token = %s\n' "$(fake_github_token)" >> big.txt
printf 'first\r\ntoken = %s\r\nlast\r\n' "$(fake_github_token)" > crlf.txt
git add blob.bin big.txt crlf.txt && commit -m "odd files"
out=$(found --max-blob-size 2K main~1..main)
is "$out" "odd files crlf.txt 2" "CRLF file: finding on line 2; large file skipped"
is "$(cat "$TMP/scan.rc")" 3 "skipped large blob: the scan is incomplete, exit 3"
is "$(jq -r '.summary.files_too_large' "$TMP/scan.json")" 1 "large blob is counted"
like "$(cat "$TMP/scan.err")" "skipped 1 blob over 2048 bytes" "large blob is in the summary"
like "$(cat "$TMP/scan.err")" "too large to scan 'big.txt' at commit $(git rev-parse main)" \
	"large blob: the problem names the path and commit"
like "$(cat "$TMP/scan.err")" "$(wc -c < big.txt | tr -d ' ') bytes, over --max-blob-size 2048 bytes" \
	"large blob: the problem gives the size and the cap"
like "$(cat "$TMP/scan.err")" "run again with --max-blob-size 5K, or remove the file from history" \
	"large blob: the problem says what to do"
is "$(jq -r '.summary.problems | length' "$TMP/scan.json")" 1 "large blob is a problem in the report"
is "$(jq -r '.summary.files_binary' "$TMP/scan.json")" 1 "binary blob is counted"
out=$(found main~1..main)
like "$out" "odd files big.txt 201" "large file found under the default cap"
is "$(cat "$TMP/scan.rc")" 1 "large file under the cap: findings exit 1"

# --max-blob-size above scan.max-file-size: the engine scans the whole blob,
# so a secret past the engine's cut is still found.
printf 'scan:\n  max-file-size: 1K\n' > "$TMP/small-cap.yaml"
out=$(found --config "$TMP/small-cap.yaml" --max-blob-size 8K main~1..main)
like "$out" "odd files big.txt 201" "--max-blob-size over scan.max-file-size: whole blob scanned"
out=$(found --config "$TMP/small-cap.yaml" main~1..main)
is "$(cat "$TMP/scan.rc")" 3 "scan.max-file-size sets the blob cap"
like "$(cat "$TMP/scan.err")" "too large to scan 'big.txt'" "scan.max-file-size: the large blob is a problem"

# An AWS key pair in one file: two findings at the adding commit.
printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$(fake_aws_key_id)" "$(fake_aws_secret)" \
	> aws.txt
git add aws.txt && commit -m "aws keys"
out=$(found main~1..main)
is "$out" "aws keys aws.txt 1
aws keys aws.txt 2" "AWS key pair: both lines found"
is "$(jq -r '[.findings[].rule] | sort | join(" ")' "$TMP/scan.json")" \
	"aws-access-key-id aws-secret-access-key" "AWS key pair: both rules"

# Ranges and exclusions.
git checkout -q -b feature main
printf 'f = %s\n' "$(fake_github_token)" > feature.txt && git add feature.txt && commit -m "feature secret"
git checkout -q main
is "$(found main..feature)" "feature secret feature.txt 1" "A..B: only the branch's finding"
is "$(found feature ^main)" "feature secret feature.txt 1" "^X: excluded history is not reported"
is "$(found main...feature)" "feature secret feature.txt 1" "A...B: symmetric difference"
"$GUARD" scan git nosuchref > /dev/null 2> "$TMP/err"
is $? 2 "unknown revision is a usage error"
like "$(cat "$TMP/err")" "nosuchref" "unknown revision is named"

# Staged changes, before the first commit and after.
git init -q "$TMP/fresh" && cd "$TMP/fresh" || exit 1
printf 'token = %s\n' "$(fake_github_token)" > staged.txt && git add staged.txt
is "$(found --staged)" "staged staged.txt 1" "--staged before the first commit"
is "$(cat "$TMP/scan.rc")" 1 "--staged with a finding exits 1"
commit -m "first"
echo "clean" > other.txt && git add other.txt
is "$(found --staged)" "" "--staged: committed content is not rescanned"
is "$(cat "$TMP/scan.rc")" 0 "--staged clean exits 0"
head -c 3000 /dev/zero | tr '\0' 'a' > large.txt && git add large.txt
found --staged --max-blob-size 1K > /dev/null
is "$(cat "$TMP/scan.rc")" 3 "--staged: large blob exits 3"
like "$(cat "$TMP/scan.err")" "too large to scan 'large.txt' in the staged changes: 3000 bytes" \
	"--staged: the problem names the path and size"
like "$(cat "$TMP/scan.err")" "or unstage the file" "--staged: the problem says what to do"

# Outside a repository the error names the folder and what to do.
mkdir -p "$TMP/plain" && cd "$TMP/plain" || exit 1
"$GUARD" scan git > /dev/null 2> "$TMP/err"
is $? 3 "outside a repository: exit 3"
like "$(cat "$TMP/err")" "not a git repository: '$TMP/plain'" "outside a repository: the folder is named"
like "$(cat "$TMP/err")" "run guard inside a git work tree or a bare repository" \
	"outside a repository: says what to do"
GIT_DIR=$TMP/plain/none "$GUARD" scan git > /dev/null 2> "$TMP/err"
like "$(cat "$TMP/err")" "not a git repository: '$TMP/plain/none' \\(from GIT_DIR\\)" \
	"GIT_DIR without a repository is named"

done_testing
