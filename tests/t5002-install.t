#!/bin/sh
# make install honours PREFIX and DESTDIR and installs the man page.
. "$(dirname "$0")/lib/tap.sh"

# -o: install the binary under test as it is, never rebuild it here.
make -s -C "$ROOT" -o "$GUARD" install DESTDIR="$TMP/dest" PREFIX=/opt/guard BUILD="${GUARD%/guard}" > "$TMP/log" 2>&1
is $? 0 "make install succeeds"
[ -x "$TMP/dest/opt/guard/bin/guard" ]
ok $? "binary installed under DESTDIR/PREFIX/bin"
[ -f "$TMP/dest/opt/guard/share/man/man1/guard.1" ]
ok $? "man page installed under share/man/man1"
out=$("$TMP/dest/opt/guard/bin/guard" version)
like "$out" '^guard ' "installed binary runs"
man -l "$TMP/dest/opt/guard/share/man/man1/guard.1" > "$TMP/man.txt" 2> "$TMP/man.err"
ok $? "man page renders"
grep -q 'EXIT STATUS' "$TMP/man.txt"
ok $? "man page documents the exit codes"
done_testing
