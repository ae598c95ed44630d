#!/bin/sh
# 'guard scan git' run from inside a submodule, a linked worktree, a bare
# repository and a shallow clone.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

found() {
	"$GUARD" scan git --format json "$@" > "$TMP/scan.json" 2> "$TMP/scan.err"
	echo $? > "$TMP/scan.rc"
	jq -r '.findings[] | "\(.commit.subject // "staged") \(.path) \(.line)"' "$TMP/scan.json" | sort
}

git init -q "$TMP/lib" && cd "$TMP/lib" || exit 1
printf 'lib = %s\n' "$(fake_github_token)" > lib.txt && git add lib.txt && commit -m "lib secret"

git init -q "$TMP/app" && cd "$TMP/app" || exit 1
printf 'app = %s\n' "$(fake_github_token)" > app.txt && git add app.txt && commit -m "app secret"
git submodule add -q "file://$TMP/lib" vendor/lib 2>/dev/null
commit -m "add submodule"

cd "$TMP/app/vendor/lib" || exit 1
is "$(found)" "lib secret lib.txt 1" "submodule: scans the submodule's history"
cd "$TMP/app" || exit 1
is "$(found)" "app secret app.txt 1" "superproject: scans its own history"

git worktree add -q -b wt "$TMP/linked" 2>/dev/null
cd "$TMP/linked" || exit 1
printf 'wt = %s\n' "$(fake_github_token)" > wt.txt && git add wt.txt && commit -m "worktree secret"
is "$(found main..wt)" "worktree secret wt.txt 1" "linked worktree: scans its branch"
printf 'staged = %s\n' "$(fake_github_token)" > staged.txt && git add staged.txt
is "$(found --staged)" "staged staged.txt 1" "linked worktree: --staged reads its index"

git clone -q --bare "$TMP/app" "$TMP/bare.git" 2>/dev/null
cd "$TMP/bare.git" || exit 1
is "$(found)" "app secret app.txt 1
worktree secret wt.txt 1" "bare repository: scans all refs"
"$GUARD" scan git --staged > /dev/null 2> "$TMP/err"
is $? 2 "bare repository: --staged is a usage error"

git init -q "$TMP/deep" && cd "$TMP/deep" || exit 1
printf 'old = %s\n' "$(fake_github_token)" > old.txt && git add old.txt && commit -m "old secret"
git rm -q old.txt && commit -m "remove old"
for n in 1 2 3; do
	echo "$n" > "f$n.txt" && git add "f$n.txt" && commit -m "deep $n"
done
git clone -q --depth 2 "file://$TMP/deep" "$TMP/shallow" 2>/dev/null
cd "$TMP/shallow" || exit 1
is "$(found)" "" "shallow clone: commits past the boundary are not read"
is "$(cat "$TMP/scan.rc")" 0 "shallow clone: scan succeeds"
like "$(cat "$TMP/scan.err")" "warning: history is incomplete" "shallow clone: warning"
like "$(cat "$TMP/scan.err")" "history is incomplete \(shallow clone\)" "shallow clone: summary line"

# A file mode that git before 1.0 wrote (100664), made with plumbing
# because today's git writes only 100644 and 100755.
git init -q "$TMP/legacy" && cd "$TMP/legacy" || exit 1
blob=$(printf 'token = %s\n' "$(fake_github_token)" | git hash-object -w --stdin)
tree=$(python3 -c 'import sys; sys.stdout.buffer.write(b"100664 a.txt\0" + bytes.fromhex(sys.argv[1]))' "$blob" |
	git hash-object -w --literally -t tree --stdin)
head=$(echo "legacy mode" | GIT_COMMITTER_DATE="@1700000000 +0000" GIT_AUTHOR_DATE="@1700000000 +0000" \
	git commit-tree "$tree")
git update-ref refs/heads/main "$head"
is "$(found)" "legacy mode a.txt 1" "file mode 100664: the file is scanned"

done_testing
