#!/bin/sh
# guard rules: the rule list as text and as JSON.
. "$(dirname "$0")/lib/tap.sh"

"$GUARD" rules > "$TMP/rules.txt" 2> "$TMP/err"
is_rc $? 0 "guard rules exits 0"
like "$(cat "$TMP/rules.txt")" '^github-pat +critical +GitHub personal access token' \
	"text lists id, severity and description"
like "$(cat "$TMP/rules.txt")" 'keywords: ghp_' "text lists the keywords"
like "$(tail -1 "$TMP/rules.txt")" '^[0-9]+ content rules, [0-9]+ file name rules, [0-9]+ source rules$' \
	"text ends with the counts"

"$GUARD" rules --format json > "$TMP/rules.json"
is_rc $? 0 "guard rules --format json exits 0"
jq -e . "$TMP/rules.json" > /dev/null
ok $? "JSON parses"

content=$(jq '[.rules[] | select(.kind == "content")] | length' "$TMP/rules.json")
ok $([ "$content" -ge 60 ]; echo $?) "at least 60 content rules ($content)"
is "$(jq '[.rules[] | select(.kind == "file")] | length > 10' "$TMP/rules.json")" true \
	"file name rules are listed"
is "$(jq '[.rules[] | select(.kind == "content" and (.keywords | length) == 0)] | length' \
	"$TMP/rules.json")" 0 "every content rule has keywords"
is "$(jq '[.rules[] | select((.id | length) == 0 or (.description | length) == 0 or (.hint | length) == 0)] | length' \
	"$TMP/rules.json")" 0 "every rule has an id, a description and a hint"
is "$(jq -r '[.rules[].severity] | unique | map(select(. != "low" and . != "medium" and . != "high" and . != "critical")) | length' \
	"$TMP/rules.json")" 0 "severities are low, medium, high or critical"
is "$(jq '[.rules[].id] | length == (unique | length)' "$TMP/rules.json")" true "ids are unique"
is "$(jq -r '.rules[] | select(.id == "aws-access-key-id") | .keywords | index("AKIA") != null' \
	"$TMP/rules.json")" true "aws-access-key-id has the AKIA keyword"
is "$(jq '[.rules[] | select(.id == "private-key" or .id == "jwt" or .id == "generic-password" or .id == "docker-config-auth" or .id == "slack-webhook-url")] | length' \
	"$TMP/rules.json")" 5 "key formats from every family are present"

"$GUARD" rules --format json --output "$TMP/out.json"
is_rc $? 0 "--output writes to a file"
cmp -s "$TMP/out.json" "$TMP/rules.json"
ok $? "--output file has the same content"

"$GUARD" rules --format sarif > /dev/null 2> "$TMP/err"
is_rc $? 2 "sarif is a usage error"
like "$(cat "$TMP/err")" "text or json" "the error names the formats"

"$GUARD" rules extra > /dev/null 2>&1
is_rc $? 2 "an extra argument is a usage error"

"$GUARD" rules --help > "$TMP/help"
is_rc $? 0 "--help exits 0"
like "$(cat "$TMP/help")" "usage: guard rules" "--help shows the usage"

# The rules that sources report themselves are listed too, so that every
# rule id a report can carry is documented.
for id in dockerfile-env-secret dockerfile-arg-secret dockerfile-copy-secret-file \
	image-env-secret image-build-arg-secret; do
	is "$("$GUARD" rules --format json | jq -r --arg id "$id" '.rules[] | select(.id == $id) | .kind')" \
		source "source rule $id is listed"
done

done_testing
