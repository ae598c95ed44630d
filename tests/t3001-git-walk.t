#!/bin/sh
# Which (commit, path) pairs the history walk hands to the scanner: what
# each commit adds, each blob and path once, merges and renames.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

repo=$TMP/repo
git init -q "$repo" && cd "$repo" || exit 1

# Added, then edited elsewhere, then deleted: only the adding commit.
echo "token = $(fake_github_token)" > secret.txt
git add secret.txt && commit -m "add secret"
echo readme > README && git add README && commit -m "add readme"
git rm -q secret.txt && commit -m "delete secret"
is "$(walk | grep secret.txt)" "add secret secret.txt" "deleted file is listed only where it was added"

# The same content in two files, and again on another branch.
shared="key = $(fake_github_token)"
echo "$shared" > one.txt && echo "$shared" > two.txt
git add one.txt two.txt && commit -m "two copies"
git checkout -q -b side HEAD~1
echo "$shared" > one.txt && git add one.txt && commit -m "same on side"
git checkout -q main
is "$(walk | grep -E ' (one|two).txt$' | sort)" "two copies one.txt
two copies two.txt" "same blob is listed once per path"

# A rename without change adds nothing; a rename with an edit adds the file.
git mv two.txt moved.txt && commit -m "rename"
is "$(walk | grep moved.txt)" "" "pure rename is not listed"
git mv moved.txt edited.txt && echo more >> edited.txt && git add edited.txt && commit -m "rename and edit"
is "$(walk | grep edited.txt)" "rename and edit edited.txt" "renamed and edited file is listed"

# A clean merge adds nothing; a conflict resolution with new content does.
git checkout -q -b left main
printf 'a\nleft\n' > conflict.txt && git add conflict.txt && commit -m "left side"
git checkout -q -b right main
printf 'a\nright\n' > conflict.txt && git add conflict.txt && commit -m "right side"
git checkout -q left
git merge -q right > /dev/null 2>&1
printf 'a\nresolved %s\n' "$(fake_github_token)" > conflict.txt
git add conflict.txt && commit -m "merge with resolution"
is "$(walk | grep conflict.txt | sort)" "left side conflict.txt
merge with resolution conflict.txt
right side conflict.txt" "conflict resolution is listed for the merge"

git checkout -q main
echo clean > clean.txt && git add clean.txt && commit -m "clean change"
git merge -q --no-ff -m "clean merge" side > /dev/null 2>&1
is "$(walk | grep '^clean merge')" "" "clean merge adds nothing"

# Ranges as git writes them.
git checkout -q -b feature main
echo f1 > f1.txt && git add f1.txt && commit -m "feature one"
echo f2 > f2.txt && git add f2.txt && commit -m "feature two"
git checkout -q main
echo m1 > m1.txt && git add m1.txt && commit -m "main one"
is "$(walk main..feature)" "feature one f1.txt
feature two f2.txt" "A..B lists only B's own commits"
is "$(walk main...feature | sort)" "feature one f1.txt
feature two f2.txt
main one m1.txt" "A...B lists both sides"
is "$(walk feature ^feature~1)" "feature two f2.txt" "^X excludes X's history"
is "$(walk feature~1 | head -1)" "add secret secret.txt" "single commit walks its history"
like "$(walk feature~1 | tail -1)" "^feature one f1.txt$" "single commit ends at itself"
"$GIT_WALK" nosuchref > /dev/null 2>"$TMP/err"
is $? 1 "unknown revision fails"

# Staged changes, before and after the first commit.
git init -q "$TMP/fresh" && cd "$TMP/fresh" || exit 1
echo "x" > first.txt && git add first.txt
is "$(walk --staged)" "staged first.txt" "staged before the first commit"
commit -m first
echo "y" >> first.txt && echo new > second.txt && git add first.txt second.txt
is "$(walk --staged | sort)" "staged first.txt
staged second.txt" "staged changes against HEAD"

done_testing
