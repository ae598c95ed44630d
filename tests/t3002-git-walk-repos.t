#!/bin/sh
# The walk finds the right repository from inside a submodule, a linked
# worktree, a bare repository and a shallow clone.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

git init -q "$TMP/lib" && cd "$TMP/lib" || exit 1
echo "lib" > lib.txt && git add lib.txt && commit -m "lib commit"

git init -q "$TMP/app" && cd "$TMP/app" || exit 1
echo "app" > app.txt && git add app.txt && commit -m "app commit"
git submodule add -q "file://$TMP/lib" vendor/lib 2>/dev/null
commit -m "add submodule"

cd "$TMP/app/vendor/lib" || exit 1
is "$(walk)" "lib commit lib.txt" "submodule: walks the submodule's own history"
cd "$TMP/app" || exit 1
is "$(walk | sort)" "add submodule .gitmodules
app commit app.txt" "superproject: the submodule commit is not a blob"

git worktree add -q -b wt "$TMP/linked" 2>/dev/null
cd "$TMP/linked" || exit 1
echo "wt" > wt.txt && git add wt.txt && commit -m "worktree commit"
is "$(walk HEAD~1..HEAD)" "worktree commit wt.txt" "linked worktree: walks its branch"
echo "staged" > staged.txt && git add staged.txt
is "$(walk --staged)" "staged staged.txt" "linked worktree: reads its own index"

git clone -q --bare "$TMP/app" "$TMP/bare.git" 2>/dev/null
cd "$TMP/bare.git" || exit 1
is "$(walk | sort)" "add submodule .gitmodules
app commit app.txt
worktree commit wt.txt" "bare repository: walks all refs"
"$GIT_WALK" --staged > /dev/null 2>&1
is $? 1 "bare repository: --staged is refused"

# A shallow clone is walked up to its boundary and flagged.
git init -q "$TMP/deep" && cd "$TMP/deep" || exit 1
for n in 1 2 3 4; do
	echo "$n" > "f$n.txt" && git add "f$n.txt" && commit -m "deep $n"
done
git clone -q --depth 2 "file://$TMP/deep" "$TMP/shallow" 2>/dev/null
cd "$TMP/shallow" || exit 1
is "$(walk | sort)" "deep 3 f1.txt
deep 3 f2.txt
deep 3 f3.txt
deep 4 f4.txt" "shallow clone: the boundary commit adds its whole tree"
like "$(cat "$TMP/walk.err")" "shallow 1" "shallow clone: history is marked incomplete"

done_testing
