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
chmod 0700 .git/hooks/pre-push
"$GUARD" hook install --force > "$TMP/out"
is $? 0 "--force replaces the hook"
cmp -s .git/hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "--force wrote the guard hook"
is "$(cat .git/hooks/pre-push.guard-backup)" "#!/bin/sh
exit 0" "--force kept the old hook as a backup"
is "$(stat -c %a .git/hooks/pre-push.guard-backup)" 700 "backup keeps the old hook's mode"
like "$(cat "$TMP/out")" "kept the previous pre-push hook as '.*/pre-push.guard-backup'" \
	"--force names the backup"

printf '#!/bin/sh\necho second\n' > .git/hooks/pre-push
"$GUARD" hook install --force > /dev/null
is "$(sed -n 2p .git/hooks/pre-push.guard-backup.2)" "echo second" "second --force: a new backup name"
is "$(sed -n 2p .git/hooks/pre-push.guard-backup)" "exit 0" "second --force: first backup unchanged"

# A hook that is a symbolic link (a shared hook script) is moved aside as
# the link, and the script it points to is not overwritten.
printf '#!/bin/sh\necho shared\n' > "$TMP/shared-hook"
rm .git/hooks/pre-push && ln -s "$TMP/shared-hook" .git/hooks/pre-push
"$GUARD" hook install --force > /dev/null
is "$(readlink .git/hooks/pre-push.guard-backup.3)" "$TMP/shared-hook" "symbolic link: moved aside as a link"
is "$(sed -n 2p "$TMP/shared-hook")" "echo shared" "symbolic link: its target is unchanged"
cmp -s .git/hooks/pre-push "$ROOT/hooks/pre-push"
ok $? "symbolic link: replaced by the guard hook"
rm -f .git/hooks/pre-push.guard-backup*

# The installed hook looks for guard in GUARD, PATH and the hooks folder;
# install warns when none has it, because every push would be blocked.
mkdir -p "$TMP/empty-bin" "$TMP/guard-bin"
ln -s "$GUARD" "$TMP/guard-bin/guard"
rm .git/hooks/pre-push
env -u GUARD PATH="$TMP/empty-bin" "$GUARD" hook install > "$TMP/out" 2> "$TMP/err"
is $? 0 "guard not found: install still exits 0"
like "$(cat "$TMP/out")" "installed the guard pre-push hook" "guard not found: the hook is installed"
like "$(cat "$TMP/err")" "warning: the hook cannot find guard, so it will block every push" \
	"guard not found: warns"
like "$(cat "$TMP/err")" "run 'make install' or put guard in a folder on PATH, or set GUARD" \
	"guard not found: says what to do"
like "$(cat "$TMP/err")" "export GUARD='" "guard not found: gives a GUARD example"
env -u GUARD PATH="$TMP/empty-bin" "$GUARD" hook install > /dev/null 2> "$TMP/err"
like "$(cat "$TMP/err")" "cannot find guard" "guard not found: warns when already installed too"
env -u GUARD PATH="$TMP/empty-bin:$TMP/guard-bin" "$GUARD" hook install > /dev/null 2> "$TMP/err"
is "$(cat "$TMP/err")" "" "guard on PATH: no warning"
env PATH="$TMP/empty-bin" "$GUARD" hook install > /dev/null 2> "$TMP/err"
is "$(cat "$TMP/err")" "" "GUARD set: no warning"
cp "$GUARD" .git/hooks/guard
env -u GUARD PATH="$TMP/empty-bin" "$GUARD" hook install > /dev/null 2> "$TMP/err"
is "$(cat "$TMP/err")" "" "guard in the hooks folder: no warning"
rm .git/hooks/guard

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
