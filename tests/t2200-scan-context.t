#!/usr/bin/env bash
# guard scan context: exactly the files docker build sends, the Dockerfile's
# own leaks, and never a clean result when something could not be read.
. "$(dirname "$0")/lib/tap.sh"

token() {
	printf 'ghp_%s' "$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)"
}

# paths_of FILE: sorted unique paths of the findings in a JSON report.
paths_of() {
	jq -r '[.findings[].path] | unique | .[]' "$1"
}

rules_of() {
	jq -r '[.findings[].rule] | unique | .[]' "$1"
}

ctx=$TMP/ctx
mkdir -p "$ctx/app" "$ctx/certs" "$ctx/secrets" "$ctx/node_modules/pkg"
t_sent=$(token)
t_ignored=$(token)
t_nested=$(token)
t_reincluded=$(token)
t_outside=$(token)
printf 'GITHUB_TOKEN=%s\n' "$t_sent" > "$ctx/app/config.txt"
printf 'token: %s\n' "$t_ignored" > "$ctx/node_modules/pkg/index.txt"
printf 'token: %s\n' "$t_nested" > "$ctx/certs/notes.log"
printf 'token: %s\n' "$t_reincluded" > "$ctx/secrets/public.txt"
printf 'token: %s\n' "$(token)" > "$ctx/secrets/private.txt"
printf 'token: %s\n' "$t_outside" > "$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$ctx/app/link.txt"
printf 'hello\n' > "$ctx/README"
cat > "$ctx/.dockerignore" <<'IGNORE'
# comments start in column 1 only
node_modules
*.log
secrets/
!secrets/public.txt
IGNORE
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM alpine:3.20
ENV APP_MODE=production
ENV PASSWORD_FILE=/run/secrets/db
ENV DB_PASSWORD=$DB_PASSWORD
ARG NODE_VERSION=22.1.0
COPY app/ /app/
DOCKERFILE

"$GUARD" scan context --format json --output "$TMP/r1.json" "$ctx" 2> "$TMP/e1"
is $? 1 "findings exit 1"
paths=$(paths_of "$TMP/r1.json")
like "$paths" '^ctx/app/config.txt$|(^|/)app/config.txt' "a sent file is scanned"
unlike "$paths" 'node_modules' "an ignored folder is not scanned"
like "$paths" 'certs/notes.log' "*.log matches the root only, so certs/notes.log is sent"
like "$paths" 'secrets/public.txt' "an exception re-includes a file in an ignored folder"
unlike "$paths" 'secrets/private.txt' "the rest of the ignored folder stays out"
unlike "$paths" 'link.txt|outside' "a symbolic link is not followed"
unlike "$(rules_of "$TMP/r1.json")" 'dockerfile-(env|arg)-secret' \
	"secret file paths, variables and versions in ENV and ARG are not reported"

"$GUARD" scan context --all-files --format json --output "$TMP/r2.json" "$ctx" 2> /dev/null
like "$(paths_of "$TMP/r2.json")" 'node_modules/pkg/index.txt' "--all-files scans ignored files"

# The Dockerfile's own leaks.
d=$TMP/df
mkdir -p "$d"
pw=$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 24)
cat > "$d/Dockerfile" <<DOCKERFILE
FROM alpine:3.20
ENV DATABASE_PASSWORD=$pw
ARG apiToken=$pw-2
COPY . /app
DOCKERFILE
printf 'API_KEY=%s\n' "$(head -c 4096 /dev/urandom | tr -dc 'a-f0-9' | head -c 32)" > "$d/.env"
"$GUARD" scan context --format json --output "$TMP/r3.json" "$d" 2> /dev/null
is $? 1 "Dockerfile leaks exit 1"
rules=$(rules_of "$TMP/r3.json")
like "$rules" 'dockerfile-env-secret' "ENV with a secret name and a literal value"
like "$rules" 'dockerfile-arg-secret' "camelCase ARG with a literal default"
like "$rules" 'dockerfile-copy-secret-file' "COPY . sends the .env file"
jq -e '.findings[] | select(.rule == "dockerfile-env-secret") | .line == 2' "$TMP/r3.json" > /dev/null
ok $? "ENV finding has the Dockerfile line"
jq -e '.findings[] | select(.rule == "dockerfile-copy-secret-file") | .message | test("\\.env")' \
	"$TMP/r3.json" > /dev/null
ok $? "COPY finding names the secret file"

# guard:allow on the line above an instruction.
sed -i 's/^ENV DATABASE_PASSWORD/# guard:allow\nENV DATABASE_PASSWORD/' "$d/Dockerfile"
"$GUARD" scan context --format json --output "$TMP/r4.json" "$d" 2> /dev/null
unlike "$(rules_of "$TMP/r4.json")" 'dockerfile-env-secret' "guard:allow above ENV suppresses it"

# A Dockerfile.dockerignore beside -f DOCKERFILE replaces the root one.
e=$TMP/beside
mkdir -p "$e/build"
printf 'token: %s\n' "$(token)" > "$e/keep.txt"
printf 'FROM alpine:3.20\n' > "$e/build/app.Dockerfile"
printf '*\n' > "$e/.dockerignore"
printf 'build\n' > "$e/build/app.Dockerfile.dockerignore"
"$GUARD" scan context -f "$e/build/app.Dockerfile" --format json --output "$TMP/r5.json" "$e" 2> /dev/null
like "$(paths_of "$TMP/r5.json")" 'keep.txt' "the Dockerfile's own ignore file replaces .dockerignore"

# A .git folder in the context is itself a finding.
g=$TMP/withgit
mkdir -p "$g"
git init -q "$g"
printf 'FROM alpine:3.20\n' > "$g/Dockerfile"
"$GUARD" scan context --format json --output "$TMP/r6.json" "$g" 2> /dev/null
is $? 1 "a .git folder sent to the builder is reported"
like "$(paths_of "$TMP/r6.json")" '\.git' "the finding names .git"
printf '.git\n' > "$g/.dockerignore"
"$GUARD" scan context --format json --output "$TMP/r7.json" "$g" 2> /dev/null
is $? 0 "an ignored .git folder is clean"

# A file that cannot be read never gives a clean result.
u=$TMP/unreadable
mkdir -p "$u"
printf 'FROM alpine:3.20\n' > "$u/Dockerfile"
printf 'nothing here\n' > "$u/locked.txt"
chmod 000 "$u/locked.txt"
chmod 755 "$TMP" "$u"
setpriv --reuid=65534 --regid=65534 --clear-groups "$GUARD" scan context "$u" > "$TMP/o8" 2> "$TMP/e8"
is $? 3 "an unreadable file exits 3"
grep -q "locked.txt" "$TMP/e8"
ok $? "the unreadable file is named"

# A file larger than scan.max-file-size is scanned in part, so the scan is
# not clean: exit 3, with the file and the setting named.
big=$TMP/big
mkdir -p "$big"
printf 'FROM alpine:3.20\n' > "$big/Dockerfile"
head -c 2000 /dev/zero | tr '\0' 'a' > "$big/large.txt"
printf 'scan:\n  max-file-size: 1K\n' > "$TMP/small-cap.yaml"
"$GUARD" scan context --config "$TMP/small-cap.yaml" "$big" > /dev/null 2> "$TMP/big.err"
is $? 3 "a file over the size cap exits 3"
like "$(cat "$TMP/big.err")" "large.txt.*scan.max-file-size" "the message names the file and the setting"

# --output to a device writes to it and never replaces it.
"$GUARD" scan context --output /dev/null --format json "$ctx" 2> /dev/null
is $? 1 "--output /dev/null still reports findings"
[ -c /dev/null ]
ok $? "/dev/null is still a character device"

# Clean context, and no secret value anywhere in any output.
c=$TMP/clean
mkdir -p "$c"
printf 'FROM alpine:3.20\nCOPY README /\n' > "$c/Dockerfile"
printf 'nothing to see\n' > "$c/README"
"$GUARD" scan context "$c" > /dev/null 2>&1
is $? 0 "a clean context exits 0"

for fmt in text json sarif; do
	"$GUARD" scan context --format "$fmt" "$ctx" > "$TMP/out.$fmt" 2> "$TMP/err.$fmt"
	"$GUARD" scan context --format "$fmt" "$d" >> "$TMP/out.$fmt" 2>> "$TMP/err.$fmt"
	leaked=0
	for secret in "$t_sent" "$t_nested" "$t_reincluded" "$pw"; do
		if grep -qF -- "$secret" "$TMP/out.$fmt" "$TMP/err.$fmt"; then
			leaked=1
		fi
	done
	is "$leaked" 0 "no secret value in $fmt output"
done

# A file given where the context folder belongs is a usage error that says
# what to give instead; a missing folder is an error that names it.
echo "FROM scratch" > "$TMP/Dockerfile.only"
out=$("$GUARD" scan context "$TMP/Dockerfile.only" 2>&1); rc=$?
is "$rc" 2 "a file as the context: usage error"
like "$out" "is a file, not a folder; give the build context's folder" \
	"a file as the context: the message says what to give"
out=$("$GUARD" scan context "$TMP/no-such-folder" 2>&1); rc=$?
is "$rc" 3 "a missing context folder exits 3"
like "$out" "no-such-folder.*No such file or directory" "a missing context folder is named"

# A file-name finding previews the name it matched, not a redacted form.
mkdir -p "$TMP/names"
echo "x" > "$TMP/names/.env"
"$GUARD" scan context --format json "$TMP/names" > "$TMP/names.json" 2> /dev/null
is "$(jq -r '.findings[] | select(.rule == "file-dotenv") | .preview' "$TMP/names.json")" ".env" \
	"file-name finding: the preview is the name"

done_testing
