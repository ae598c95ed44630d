#!/bin/sh
# 'guard hook install': the installed file, core.hooksPath, --force, and the
# hook script failing closed when guard is missing.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

git init -q "$TMP/repo" && cd "$TMP/repo" || exit 1

"$GUARD" hook install > "$TMP/out"
is $? 0 "install exits 0"
cmp -s .git/hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "installed hook equals hooks/pre-push byte for byte"
is "$(stat -c %a .git/hooks/pre-push)" 755 "installed hook is mode 0755"
like "$(cat "$TMP/out")" "installed the guard pre-push hook" "install says where"

"$GUARD" hook install > "$TMP/out"
is $? 0 "second install exits 0"
like "$(cat "$TMP/out")" "already installed" "second install changes nothing"

printf '#!/bin/sh\nexit 0\n' > .git/hooks/pre-push
"$GUARD" hook install > /dev/null 2> "$TMP/err"
is $? 2 "different hook: install is rejected"
like "$(cat "$TMP/err")" "--force" "different hook: the message names --force"
is "$(cat .git/hooks/pre-push)" "#!/bin/sh
exit 0" "different hook: left unchanged"
"$GUARD" hook install --force > /dev/null
is $? 0 "--force replaces the hook"
cmp -s .git/hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "--force wrote the guard hook"

git config core.hooksPath ci/hooks
"$GUARD" hook install > /dev/null
is $? 0 "install with core.hooksPath exits 0"
cmp -s ci/hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "core.hooksPath: hook installed in that folder"

mkdir -p sub/dir && cd sub/dir || exit 1
rm ../../ci/hooks/pre-push
"$GUARD" hook install > /dev/null
cmp -s ../../ci/hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "core.hooksPath relative to the work tree, from a subfolder"
cd "$TMP/repo" || exit 1

git init -q --bare "$TMP/bare.git" && cd "$TMP/bare.git" || exit 1
"$GUARD" hook install > /dev/null
cmp -s hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "bare repository: hook installed in hooks/"

# Without guard anywhere the hook blocks the push.
mkdir -p "$TMP/empty-bin"
(unset GUARD; PATH=$TMP/empty-bin /bin/sh "$ROOT/hooks/pre-push" origin url < /dev/null) 2> "$TMP/err"
is $? 1 "hook without guard exits 1"
like "$(cat "$TMP/err")" "push blocked: the guard program was not found" "hook without guard says why"
like "$(cat "$TMP/err")" "git push --no-verify" "hook without guard names the bypass"

# guard beside the script is found without PATH or GUARD.
mkdir -p "$TMP/beside"
cp "$ROOT/hooks/pre-push" "$TMP/beside/pre-push"
printf '#!/bin/sh\necho "beside $*"\n' > "$TMP/beside/guard"
chmod +x "$TMP/beside/guard" "$TMP/beside/pre-push"
out=$(unset GUARD; PATH=$TMP/empty-bin /bin/sh "$TMP/beside/pre-push" origin url < /dev/null)
is "$out" "beside hook pre-push -- origin url" "hook finds guard beside itself"

done_testing
