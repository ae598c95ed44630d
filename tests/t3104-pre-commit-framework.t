#!/bin/sh
# .pre-commit-hooks.yaml under the real pre-commit framework (Debian's
# pre-commit package): a project that lists guard's two hooks gets a
# commit with a staged secret blocked, a clean commit through, a push
# whose new commits add a secret blocked and a clean push through.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

command -v pre-commit > /dev/null || {
	echo "Bail out! pre-commit is missing; run make deps"
	exit 1
}
PRE_COMMIT_HOME=$TMP/pre-commit-cache
export PRE_COMMIT_HOME
# language: system hooks run the guard found on PATH.
mkdir -p "$TMP/bin"
ln -s "$GUARD" "$TMP/bin/guard"
PATH=$TMP/bin:$PATH
export PATH

# The hook repository pre-commit clones: this checkout's hook file.
git init -q "$TMP/hooks" && cd "$TMP/hooks" || exit 1
cp "$ROOT/.pre-commit-hooks.yaml" .
git add . && commit -m "hooks"
rev=$(git rev-parse HEAD)

git init -q --bare "$TMP/origin.git"
git init -q "$TMP/project" && cd "$TMP/project" || exit 1
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $TMP/hooks
    rev: $rev
    hooks:
      - id: guard-staged
      - id: guard-pre-push
EOF
echo "hello" > README
git add . && commit -m "initial"
git remote add origin "file://$TMP/origin.git"
# commit (tests/lib/git.sh) bypasses hooks; these commits go through them.
hooked_commit() {
	git commit -q -m "$1"
}
git push -q origin main 2> /dev/null
pre-commit install -t pre-commit -t pre-push > "$TMP/install.out" 2>&1
is $? 0 "pre-commit installs both hooks"

echo "more" >> README && git add README
hooked_commit "clean change" > "$TMP/out" 2>&1
rc=$?
is "$rc" 0 "clean staged change: commit passes"
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/out" | head -20

secret=$(fake_github_token)
echo "token = $secret" > config.ini && git add config.ini
hooked_commit "add config" > "$TMP/out" 2>&1
is $? 1 "staged secret: commit is blocked"
like "$(cat "$TMP/out")" "github" "staged secret: the output names the rule"
unlike "$(cat "$TMP/out")" "$secret" "staged secret: the output does not show it"
is "$(git log -1 --format=%s)" "clean change" "staged secret: no commit was made"

git reset -q HEAD config.ini && rm config.ini
git push -q origin main > "$TMP/out" 2>&1
rc=$?
is "$rc" 0 "clean push passes"
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/out" | head -20

echo "token = $secret" > config.ini && git add config.ini
commit -m "add config"
git push origin main > "$TMP/out" 2>&1
is $? 1 "push of a commit with a secret is blocked"
like "$(cat "$TMP/out")" "config.ini" "blocked push: the output names the file"
unlike "$(cat "$TMP/out")" "$secret" "blocked push: the output does not show the secret"
is "$(git rev-parse origin/main)" "$(git rev-parse HEAD~1)" "blocked push: the remote did not move"

git checkout -q -b feature HEAD~1
echo "feature" > feature.txt && git add feature.txt && hooked_commit "feature work" > /dev/null 2>&1
git push origin feature > "$TMP/out" 2>&1
rc=$?
is "$rc" 0 "new clean branch: push passes"
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/out" | head -20

git checkout -q -b other HEAD~1
echo "key = $(fake_github_token)" > other.ini && git add other.ini && commit -m "other config"
git push origin other > "$TMP/out" 2>&1
is $? 1 "new branch with a secret: push is blocked"
like "$(cat "$TMP/out")" "other.ini" "new branch with a secret: the output names the file"
unlike "$(cat "$TMP/out")" "config.ini" "new branch: commits of other branches are not scanned"

done_testing
