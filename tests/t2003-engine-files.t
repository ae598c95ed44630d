#!/bin/sh
# The engine on a folder of files, through the scan-files test program:
# secret file names, binary files, key stores, UTF-16, CRLF, and the allow
# settings (stopwords, disabled rules, skip globs).
. "$(dirname "$0")/lib/tap.sh"

SCAN=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/scan-files
[ -x "$SCAN" ] || { echo "Bail out! $SCAN is missing: run the tests through make test"; exit 1; }

rand() {
	head -c 4096 /dev/urandom | tr -dc "$1" | head -c "$2"
}

tree=$TMP/ctx
mkdir -p "$tree/app" "$tree/.ssh" "$tree/vendor" "$tree/.git"
token="ghp_$(rand 'A-Za-z0-9' 36)"
slack="xoxb-$(rand '0-9' 12)-$(rand '0-9' 13)-$(rand 'A-Za-z0-9' 24)"

printf 'GITHUB_TOKEN=%s\n' "$token" > "$tree/app/.env"
printf 'GITHUB_TOKEN=changeme\n' > "$tree/app/.env.example"
printf 'not a key\n' > "$tree/.ssh/id_ed25519"
printf 'ssh-ed25519 AAAA user@host\n' > "$tree/.ssh/id_ed25519.pub"
printf '[core]\n\tbare = false\n' > "$tree/.git/config"
printf 'slack = "%s"\n' "$slack" > "$tree/vendor/lib.py"
printf 'a\r\nslack = "%s"\r\n' "$slack" > "$tree/app/crlf.txt"
printf '\377\376' > "$tree/app/wide.txt"
printf 'x\nslack = "%s"\n' "$slack" | iconv -f UTF-8 -t UTF-16LE >> "$tree/app/wide.txt"
{ printf 'PNG\000\000\001'; printf 'slack = "%s"\n' "$slack"; } > "$tree/app/logo.png"
{ printf '\060\202\000'; printf 'slack = "%s"\n' "$slack"; } > "$tree/app/cert.p12"

out=$("$SCAN" "$tree" 2> "$TMP/err")
is_rc $? 1 "findings exit 1"
printf '%s\n' "$out" | sed "s|$tree/||" | cut -d' ' -f1-2 | sort > "$TMP/got"
cat > "$TMP/want" <<'EOF2'
.git/config:0:0-0 file-git-folder
.ssh/id_ed25519:0:0-0 file-private-key
app/.env:0:0-0 file-dotenv
app/.env:1:14-54 github-pat
app/cert.p12:0:0-0 file-keystore
app/cert.p12:1:13-69 slack-bot-token
app/crlf.txt:2:10-66 slack-bot-token
app/wide.txt:2:10-66 slack-bot-token
vendor/lib.py:1:10-66 slack-bot-token
EOF2
diff "$TMP/want" "$TMP/got" > "$TMP/diff"
ok $? "findings by name and content, with exact positions"
sed 's/^/# /' "$TMP/diff"
like "$(cat "$TMP/err")" "binary=1 " "the binary file is counted"
unlike "$out" "$token" "the raw token is never printed"
unlike "$out" "$slack" "the raw Slack token is never printed"

crlf=$(printf '%s\n' "$out" | grep 'crlf.txt' | awk '{print $NF}')
lf=$(printf '%s\n' "$out" | grep 'vendor/lib.py' | awk '{print $NF}' | cut -d: -f3)
is "$(echo "$crlf" | cut -d: -f3)" "$lf" "CRLF and LF give the same secret hash"

out=$("$SCAN" -x vendor -x '**/*.p12' -d file-dotenv -d github-pat "$tree" 2> "$TMP/err")
unlike "$out" "vendor/|cert.p12" "skip globs leave files out"
like "$(cat "$TMP/err")" "ignored=2 " "skipped files are counted"
unlike "$out" "file-dotenv|github-pat" "disabled rules report nothing"

stop=$(printf '%s' "$slack" | cut -c20-27)
out=$("$SCAN" -s "$stop" "$tree/app/crlf.txt" 2> "$TMP/err")
is_rc $? 0 "a stopword in the secret leaves the file clean"
like "$(cat "$TMP/err")" "allowed=1 " "the stopword hit is counted as allowed"

printf 'slack = "%s" # guard:allow\n' "$slack" > "$TMP/allowed.txt"
"$SCAN" "$TMP/allowed.txt" > /dev/null 2> "$TMP/err"
is_rc $? 0 "guard:allow leaves the file clean"
like "$(cat "$TMP/err")" "allowed=1 " "the allowed finding is counted"

done_testing
