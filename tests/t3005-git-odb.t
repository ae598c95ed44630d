#!/bin/sh
# guard's own pack reader (guard/git_odb.c) against repositories in every
# storage shape git writes: loose objects, an aggressive pack with deep
# offset-delta chains, reference deltas, 64-bit offsets, several packs,
# alternates. Each object read is hashed again and must give back its id.
# A damaged pack must fail with a clear error, never a crash or a clean scan.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/git.sh"

ODB_READ=$GUARD_TOOLS_DIR/odb-read

# read_all [MAX [CACHE]]: reads every object of the current repository;
# prints "ok N" when all N match their ids, or the first failures.
read_all() {
	git cat-file --batch-all-objects --batch-check='%(objectname)' > "$TMP/ids"
	if "$ODB_READ" "$@" < "$TMP/ids" > "$TMP/read.out" 2> "$TMP/read.err"; then
		echo "ok $(wc -l < "$TMP/read.out" | tr -d ' ')"
	else
		grep error "$TMP/read.out" | head -3
		cat "$TMP/read.err"
	fi
}

packs() {
	sed -n 's/^packs //p' "$TMP/read.err"
}

# A history with many versions of the same files, so that packs hold long
# delta chains, plus an empty file, a binary file and one of 300 KiB that
# does not fit the reader's window.
git init -q "$TMP/repo" && cd "$TMP/repo" || exit 1
i=0
for f in /usr/include/stdio.h /usr/include/stdlib.h /usr/include/string.h \
	 /usr/include/unistd.h /usr/include/errno.h; do
	mkdir -p "src/d$i"
	cp "$f" "src/d$i/"
	i=$((i + 1))
done
: > empty.txt
head -c 4096 /dev/urandom > binary.bin
for n in $(seq 1 3000); do echo "line $n of a long file"; done > big.txt
git add . && commit -m "initial"
for n in $(seq 1 40); do
	echo "/* edit $n */" >> src/d$((n % 5))/$(ls src/d$((n % 5)))
	echo "edit $n" >> notes.txt
	[ $((n % 10)) -eq 0 ] && echo "appended $n" >> big.txt
	git add . && commit -m "edit $n"
done
secret=$(fake_github_token)
echo "token = $secret" > config.ini && git add config.ini && commit -m "add config"
git rm -q config.ini && commit -m "remove config"

count=$(git cat-file --batch-all-objects --batch-check='%(objectname)' | wc -l | tr -d ' ')
is "$(read_all)" "ok $count" "loose objects: every object is read through libgit2 and matches its id"
is "$(packs)" 0 "loose objects: no pack file yet"
"$GUARD" scan git --format json > "$TMP/loose.json" 2>/dev/null
is $? 1 "loose objects: scan git finds the secret"

git gc -q --aggressive
is "$(read_all)" "ok $count" "aggressive pack: every object matches its id"
is "$(packs)" 1 "aggressive pack: read by guard's reader"
is "$(read_all 18446744073709551615 0)" "ok $count" "aggressive pack, no delta base cache: every object matches"
"$GUARD" scan git --format json > "$TMP/packed.json" 2>/dev/null
is $? 1 "aggressive pack: scan git finds the secret"
is "$(jq -c '[.findings[] | {rule, commit, path, line}]' "$TMP/packed.json")" \
	"$(jq -c '[.findings[] | {rule, commit, path, line}]' "$TMP/loose.json")" \
	"aggressive pack: the same findings as from loose objects"

# The cap: objects over it are reported with their size, not inflated.
read_all 1000 > /dev/null
big=$(git rev-parse HEAD:big.txt)
is "$(grep "^$big " "$TMP/read.out")" "$big too-large $(git cat-file -s "$big")" \
	"a blob over the cap is reported with its size"
small=$(git rev-parse HEAD:empty.txt)
is "$(grep "^$small " "$TMP/read.out")" "$small blob 0" "an empty blob is read"

git -c repack.useDeltaBaseOffset=false repack -q -a -d -f
is "$(read_all)" "ok $count" "reference deltas: every object matches its id"
"$GUARD" scan git --format json > "$TMP/refdelta.json" 2>/dev/null
is "$(jq -c '[.findings[] | {rule, commit, path, line}]' "$TMP/refdelta.json")" \
	"$(jq -c '[.findings[] | {rule, commit, path, line}]' "$TMP/loose.json")" \
	"reference deltas: the same findings as from loose objects"

# Every offset past the first entry in the table of 64-bit offsets (git
# rejects an index where the first entry is there too).
pack=$(ls .git/objects/pack/*.pack)
rm -f "${pack%.pack}.idx"
git index-pack --index-version=2,13 "$pack" > /dev/null
is "$(read_all)" "ok $count" "64-bit offsets: every object matches its id"

# Several packs and loose objects at once.
for n in 1 2 3; do
	echo "more $n" >> notes.txt && git add notes.txt && commit -m "more $n"
	git repack -q -d
done
echo "loose" >> notes.txt && git add notes.txt && commit -m "loose"
count=$(git cat-file --batch-all-objects --batch-check='%(objectname)' | wc -l | tr -d ' ')
is "$(read_all)" "ok $count" "several packs and loose objects: every object matches its id"
is "$(packs)" 4 "several packs: all four are read"

# A clone that borrows its objects through alternates.
git clone -q --shared "$TMP/repo" "$TMP/shared" && cd "$TMP/shared" || exit 1
git cat-file --batch-all-objects --batch-check='%(objectname)' > "$TMP/ids"
"$ODB_READ" < "$TMP/ids" > "$TMP/read.out" 2> "$TMP/read.err"
is "$? $(packs)" "0 0" "alternates: objects of the borrowed store come through libgit2"
"$GUARD" scan git > /dev/null 2>&1
is $? 1 "alternates: scan git finds the secret"

# Damaged packs. A copy of the repository with one pack, then bytes
# overwritten in its middle, then the pack cut short.
git clone -q --no-local --bare "$TMP/repo" "$TMP/damaged.git" 2>/dev/null
cd "$TMP/damaged.git" || exit 1
git repack -q -a -d
git cat-file --batch-all-objects --batch-check='%(objectname)' > "$TMP/ids"
pack=$(ls objects/pack/*.pack)
size=$(stat -c %s "$pack")
chmod u+w "$pack"
cp "$pack" "$TMP/pack.orig"
dd if=/dev/urandom of="$pack" bs=1 seek=$((size / 2)) count=512 conv=notrunc 2>/dev/null
"$ODB_READ" < "$TMP/ids" > "$TMP/read.out" 2> "$TMP/read.err"
is $? 1 "overwritten bytes: the reader fails"
like "$(grep -m1 error "$TMP/read.out")" "malformed|does not match|not in the repository" \
	"overwritten bytes: the error names the damage"
"$GUARD" scan git > "$TMP/out" 2> "$TMP/err"
is $? 3 "overwritten bytes: scan git exits 3"
like "$(cat "$TMP/err")" "malformed|reading blob|not in the repository" \
	"overwritten bytes: scan git says what it could not read"

cp "$TMP/pack.orig" "$pack"
truncate -s $((size * 2 / 3)) "$pack"
"$ODB_READ" < "$TMP/ids" > "$TMP/read.out" 2> "$TMP/read.err"
is $? 1 "a pack cut short: the reader fails"
"$GUARD" scan git > "$TMP/out" 2> "$TMP/err"
is $? 3 "a pack cut short: scan git exits 3"
like "$(cat "$TMP/err")" "cut short|outside the file|malformed|reading" \
	"a pack cut short: scan git says what it could not read"

# An index whose offset for one object points at another object's entry:
# the content read does not match the id. For a blob the hash shows it,
# for a tree the CRC-32 the index keeps for each entry.
# swap_offset IDX ID OTHER: gives ID the offset of OTHER in the index IDX.
swap_offset() {
	chmod u+w "$1"
	python3 - "$@" <<'PY'
import struct, sys
path, a, b = sys.argv[1:4]
data = bytearray(open(path, 'rb').read())
n = struct.unpack('>I', data[8 + 255 * 4:8 + 1024])[0]
ids = [bytes(data[1032 + i * 20:1052 + i * 20]).hex() for i in range(n)]
table = 1032 + n * 24
i, j = ids.index(a), ids.index(b)
data[table + i * 4:table + i * 4 + 4] = data[table + j * 4:table + j * 4 + 4]
open(path, 'wb').write(data)
PY
}
git init -q "$TMP/swap" && cd "$TMP/swap" || exit 1
mkdir -p one two
echo "token = $(fake_github_token)" > one/secret.txt
echo "nothing to see" > two/plain.txt
git add . && commit -m "two folders"
git gc -q
for copy in swap-tree fanout moved; do
	cp -r "$TMP/swap" "$TMP/$copy"
done
swap_offset .git/objects/pack/*.idx "$(git rev-parse HEAD:one/secret.txt)" "$(git rev-parse HEAD:two/plain.txt)"
"$GUARD" scan git > "$TMP/out" 2> "$TMP/err"
is $? 3 "blob offset pointing at another blob: scan git exits 3"
like "$(cat "$TMP/err")" "does not match its id, so the pack file or its index is damaged" \
	"blob offset pointing at another blob: the error says so"
cd "$TMP/swap-tree" || exit 1
swap_offset .git/objects/pack/*.idx "$(git rev-parse HEAD:one)" "$(git rev-parse HEAD:two)"
"$GUARD" scan git > "$TMP/out" 2> "$TMP/err"
is $? 3 "tree offset pointing at another tree: scan git exits 3"
like "$(cat "$TMP/err")" "does not match its id" "tree offset pointing at another tree: the error says so"

# An index with its fanout table out of order is left out, and the error
# for the objects it held says why.
cd "$TMP/fanout" || exit 1
idx=$(ls .git/objects/pack/*.idx)
chmod u+w "$idx"
printf '\377\377\377\377' | dd of="$idx" bs=1 seek=8 conv=notrunc 2> /dev/null
"$GUARD" scan git > "$TMP/out" 2> "$TMP/err"
is $? 3 "index with a damaged fanout table: scan git exits 3"
like "$(cat "$TMP/err")" "pack index '.*' was left out because its fanout table is not in order" \
	"index with a damaged fanout table: the error names the index and the damage"

# Objects in another folder, named by GIT_OBJECT_DIRECTORY, packed and loose.
cd "$TMP/moved" || exit 1
echo "key = $(fake_github_token)" > loose.txt && git add loose.txt && commit -m "loose"
mv .git/objects "$TMP/moved-objects" && mkdir .git/objects
GIT_OBJECT_DIRECTORY=$TMP/moved-objects "$GUARD" scan git --format json > "$TMP/moved.json" 2> "$TMP/err"
is $? 1 "GIT_OBJECT_DIRECTORY: scan git finds the secrets"
is "$(jq -r '[.findings[].path] | sort | join(" ")' "$TMP/moved.json")" "loose.txt one/secret.txt" \
	"GIT_OBJECT_DIRECTORY: packed and loose blobs are read"

done_testing
