#!/bin/sh
# .dockerignore: the files guard keeps in a build context (ignore-walk)
# against the files a real builder copies (buildah build, COPY . with
# --output to a folder), for exclusions and literal exceptions. Wildcard
# exceptions inside excluded folders are checked against BuildKit's
# rules only: buildah 1.28 enters an excluded folder only when an
# exception's text starts with it, while BuildKit matches every path.
. "$(dirname "$0")/lib/tap.sh"

WALK=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/ignore-walk
ctx=$TMP/ctx
store=$TMP/store

mkdir -p "$ctx"
for f in server.pem certs/server.pem secrets/private.pem secrets/public.pem \
    node_modules/pkg/LICENSE node_modules/pkg/index.js node_modules/other/x.js \
    foo/bar/baz foo/keep "# notes" docs/a/b.md docs/a/b.txt docs/x.md app.py \
    README.md a.txt ab.txt sub/a.txt sub/deep/z.log sub/deep/y.log x.log \
    bpp.py Secrets/key; do
	mkdir -p "$ctx/$(dirname "$f")"
	echo "content of $f" >"$ctx/$f"
done
printf 'FROM scratch\nCOPY . /ctx/\n' >"$ctx/Dockerfile"

# kept_by_buildah: the context files that buildah copies into the image.
kept_by_buildah() {
	rm -rf "$TMP/out"
	(cd "$ctx" && BUILDAH_ISOLATION=chroot buildah --root "$store/root" --runroot "$store/run" \
	    --storage-driver vfs build -q -o "type=local,dest=$TMP/out" -f Dockerfile . \
	    >"$TMP/buildah.log" 2>&1) || { sed 's/^/# buildah: /' "$TMP/buildah.log"; return 1; }
	(cd "$TMP/out/ctx" && find . -type f | sed 's|^\./||' | grep -v -x -e Dockerfile -e .dockerignore | LC_ALL=C sort)
}

kept_by_guard() {
	"$WALK" "$ctx" 2>/dev/null | grep -v -x -e Dockerfile -e .dockerignore
}

# check_builder NAME IGNORE_TEXT: guard keeps what buildah copies.
check_builder() {
	printf "$2" >"$ctx/.dockerignore"
	want=$(kept_by_buildah)
	got=$(kept_by_guard)
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		printf '%s\n' "$want" >"$TMP/want"
		printf '%s\n' "$got" >"$TMP/got"
		diff -u "$TMP/want" "$TMP/got" | sed 's/^/# /'
	fi
}

check_builder "anchored globs, comments, folders" \
    '*.pem\n# a comment\n  # notes\nsecrets/\n!secrets/public.pem\nnode_modules\n!node_modules/pkg/LICENSE\n/foo/bar\n'
check_builder "double stars and cleaning" '**/*.log\n./docs/../foo\n**/a.txt\n'
check_builder "single characters and classes" '?.txt\n[a-c]pp.py\nsub/*/z.log\n'
check_builder "everything but literal exceptions" '**\n!app.py\n!docs/x.md\n!node_modules/pkg\n'
check_builder "last matching line wins" '*.txt\n!a.txt\na.txt\n!ab.txt\n'
check_builder "case-sensitive names" 'secrets\nREADME.MD\n'
check_builder "top-level wildcard exception" '*\n!*.py\n!README.md\n'

# BuildKit matches every path against exceptions with wildcards, so these
# files come back even inside excluded folders.
printf 'docs\n!docs/**/*.md\n' >"$ctx/.dockerignore"
got=$(kept_by_guard | grep '^docs/' | tr '\n' ' ')
is "$got" "docs/a/b.md docs/x.md " "wildcard exception inside an excluded folder"

printf 'docs\nnode_modules\n!**/LICENSE\n' >"$ctx/.dockerignore"
got=$(kept_by_guard | grep -e '^docs/' -e '^node_modules/' | tr '\n' ' ')
is "$got" "node_modules/pkg/LICENSE " "leading double-star exception"

# <Dockerfile>.dockerignore beside the Dockerfile replaces the root file.
mkdir -p "$ctx/build"
printf 'FROM scratch\nCOPY . /ctx/\n' >"$ctx/build/app.Dockerfile"
printf '**/*.py\n' >"$ctx/build/app.Dockerfile.dockerignore"
printf '*.pem\n' >"$ctx/.dockerignore"
"$WALK" "$ctx" "$ctx/build/app.Dockerfile" >"$TMP/per-file" 2>"$TMP/per-file.err"
like "$(cat "$TMP/per-file.err")" "ignore-file $ctx/build/app.Dockerfile.dockerignore" \
    "Dockerfile's own ignore file is used"
unlike "$(cat "$TMP/per-file")" '^app\.py$' "its patterns apply"
like "$(cat "$TMP/per-file")" '^server\.pem$' "the root file is not merged in"

"$WALK" "$ctx" >/dev/null 2>"$TMP/root.err"
like "$(cat "$TMP/root.err")" "ignore-file $ctx/.dockerignore" "root file without -f"

printf '[oops\n' >"$ctx/.dockerignore"
"$WALK" "$ctx" >/dev/null 2>"$TMP/bad.err"
is "$?" 3 "malformed ignore file fails"
like "$(cat "$TMP/bad.err")" "invalid pattern in '.*\.dockerignore' line 1 '\[oops': unclosed '\['" \
    "error names the file, line and pattern"

done_testing
