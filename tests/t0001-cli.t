#!/bin/sh
# The command surface: help, version, unknown commands and exit codes.
. "$(dirname "$0")/lib/tap.sh"

out=$("$GUARD" version)
is_rc $? 0 "version exits 0"
like "$out" '^guard [0-9]' "version prints guard and a number"
"$GUARD" version extra >/dev/null 2>&1
is_rc $? 2 "version with an argument is a usage error"
like "$("$GUARD" version --help)" '^usage: guard version' "version --help prints its usage"
out=$("$GUARD" scan git --max-blob-size 1.5M 2>&1)
is_rc $? 2 "a size with a fraction is a usage error"
like "$out" "expected a whole number of bytes, optionally followed by K, M or G" \
	"a bad size names the accepted form"

"$GUARD" --help > "$TMP/help" 2>&1
is_rc $? 0 "--help exits 0"
grep -q 'Exit codes' "$TMP/help"
ok $? "--help lists the exit codes"

"$GUARD" frobnicate 2> "$TMP/err"
is_rc $? 2 "unknown command exits 2"
grep -q "unknown command 'frobnicate'" "$TMP/err"
ok $? "unknown command is named"

"$GUARD" > /dev/null 2>&1
is_rc $? 2 "no command exits 2"

"$GUARD" pin --bogus 2> "$TMP/err"
is_rc $? 2 "unknown option exits 2"
grep -q -- "'--bogus'" "$TMP/err"
ok $? "unknown option is named"
"$GUARD" scan context -f 2> "$TMP/err"
is_rc $? 2 "option without its value exits 2"
grep -q -- "'-f'" "$TMP/err"
ok $? "option without its value is named"
grep -q "context: unrecognized" "$TMP/err"
is $? 1 "getopt prints no message of its own"

done_testing
