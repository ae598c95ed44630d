#!/usr/bin/env bash
# No secret value reaches any output: every rule's true-positive sample is
# scanned as a build context, as git history and as an image layer, in every
# format, and stdout, stderr, report files and baselines are searched for the
# fake values.
. "$(dirname "$0")/lib/tap.sh"

SAMPLES=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/rule-samples
ctx=$TMP/samples
values=$TMP/values.txt
count=$("$SAMPLES" "$ctx" "$values")
ok $? "rule samples are written"
[ -s "$values" ]
ok $? "the samples' fake values are listed"

# leaks NAME FILE...: one check that no fake value occurs in the files.
leaks() {
	name=$1
	shift
	if grep -F -q -f "$values" "$@"; then
		ok 1 "$name: no secret value in the output"
		grep -F -o -f "$values" "$@" | head -3 | sed 's/^/#   leaked in: /' | cut -c1-60
	else
		ok 0 "$name: no secret value in the output"
	fi
}

for fmt in text json sarif; do
	"$GUARD" scan context --all-files --format "$fmt" "$ctx" > "$TMP/ctx.$fmt" 2> "$TMP/ctx.$fmt.err"
	is $? 1 "context $fmt: findings exit 1"
	"$GUARD" scan context --all-files --format "$fmt" --output "$TMP/ctx-file.$fmt" \
		--write-baseline "$TMP/baseline.$fmt.json" "$ctx" 2> /dev/null
	leaks "context $fmt" "$TMP/ctx.$fmt" "$TMP/ctx.$fmt.err" "$TMP/ctx-file.$fmt" "$TMP/baseline.$fmt.json"
done
files_with_findings=$(jq '[.findings[].path] | unique | length' "$TMP/ctx.json")
is "$files_with_findings" "$count" "every sample file has a finding"

export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.org
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.org
repo=$TMP/repo
git init -q "$repo"
cp -R "$ctx/." "$repo/"
git -C "$repo" add -A
git -C "$repo" commit -q -m "Add the samples"
# A subject that names a secret is shown redacted.
printf 'more: %s\n' "$(sed -n 1p "$values")" > "$repo/more.txt"
git -C "$repo" add more.txt
git -C "$repo" commit -q -m "Add token $(grep -m1 '^ghp_' "$values" || sed -n 1p "$values")"
for fmt in text json sarif; do
	(cd "$repo" && "$GUARD" scan git --format "$fmt") > "$TMP/git.$fmt" 2> "$TMP/git.$fmt.err"
	is $? 1 "git $fmt: findings exit 1"
	leaks "git $fmt" "$TMP/git.$fmt" "$TMP/git.$fmt.err"
done

oci=$TMP/oci
umoci init --layout "$oci"
umoci new --image "$oci:samples"
umoci unpack --rootless --image "$oci:samples" "$TMP/bundle" > /dev/null
mkdir -p "$TMP/bundle/rootfs/samples"
cp -R "$ctx/." "$TMP/bundle/rootfs/samples/"
umoci repack --image "$oci:samples" --history.created_by "COPY samples /samples" "$TMP/bundle"
for fmt in text json sarif; do
	"$GUARD" scan image --format "$fmt" "oci:$oci:samples" > "$TMP/img.$fmt" 2> "$TMP/img.$fmt.err"
	is $? 1 "image $fmt: findings exit 1"
	leaks "image $fmt" "$TMP/img.$fmt" "$TMP/img.$fmt.err"
done

done_testing
