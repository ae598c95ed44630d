#!/bin/sh
# .guard.yaml discovery in a git work tree made with the git CLI, --config,
# error messages for a broken file, and pin.ignore globs.
. "$(dirname "$0")/lib/tap.sh"

SHOW=${GUARD_TOOLS_DIR:?run the tests through make test}/config_show

git init -q "$TMP/repo"
mkdir -p "$TMP/repo/services/api"
cat >"$TMP/repo/.guard.yaml" <<'YAML'
registry:
  mirrors:
    docker.io: http://127.0.0.1:5000
  insecure: [myreg.local:5000]
  ca-files: [certs/ca.pem]
pin:
  ignore: ["docker.io/library/*", "!docker.io/library/python"]
  jobs: 8
  platform: linux/amd64
scan:
  skip-paths: ["vendor/**", "**/*.min.js"]
  disable-rules: [generic-password]
  stopwords: [dummy, changeme]
  max-file-size: 10M
baseline: .guard-baseline.json
format: text
YAML
root=$(cd "$TMP/repo" && pwd -P)

out=$(cd "$TMP/repo/services/api" && "$SHOW" . docker.io/library/alpine docker.io/library/python \
	ghcr.io/org/app); rc=$?
is "$rc" 0 "discovery from a subfolder: exit 0"
like "$out" "^path=$root/.guard.yaml$" "the file at the work tree root is found"
like "$out" "^mirror=docker.io=http://127.0.0.1:5000$" "mirror"
like "$out" "^insecure=myreg.local:5000$" "insecure registry"
like "$out" "^ca-file=$root/certs/ca.pem$" "CA file is relative to the configuration file"
like "$out" "^jobs=8$" "jobs"
like "$out" "^platform=linux/amd64$" "platform"
like "$out" "^skip-path=\*\*/\*.min.js$" "skip path"
like "$out" "^stopword=changeme$" "stopword"
like "$out" "^max-file-size=10485760$" "max file size"
like "$out" "^baseline=$root/.guard-baseline.json$" "baseline is relative to the configuration file"
like "$out" "^format=text$" "format"
like "$out" "^ignored docker.io/library/alpine=yes$" "ignore glob"
like "$out" "^ignored docker.io/library/python=no$" "'!' re-includes"
like "$out" "^ignored ghcr.io/org/app=no$" "other names are not ignored"

out=$("$SHOW" "$TMP")
is "$out" "$(printf 'path=(none)\njobs=0\nplatform=\nmax-file-size=0\nbaseline=\nformat=')" \
	"no file outside git: defaults"

printf 'pin:\n  jobs: 4\n' >"$TMP/explicit.yaml"
out=$(cd "$TMP/repo/services" && "$SHOW" --config "$TMP/explicit.yaml" .)
like "$out" "^jobs=4$" "--config replaces discovery"

err=$("$SHOW" --config "$TMP/none.yaml" . 2>&1); rc=$?
is "$rc" 3 "missing --config file fails"
like "$err" "^guard: reading the configuration: cannot open '$TMP/none.yaml': No such file or directory$" \
	"missing --config file: message"

printf 'pin:\n  jobs: 8\nscan:\n  skip-paths: vendor/**\n' >"$TMP/repo/.guard.yaml"
err=$(cd "$TMP/repo/services/api" && "$SHOW" . 2>&1); rc=$?
is "$rc" 3 "scalar where a list is expected fails"
is "$err" "guard: invalid configuration '$root/.guard.yaml': line 4: scan.skip-paths: expected a list, got a scalar" \
	"error names the file, the line and the key"

printf 'pin:\n  jobs: 8\n  jobs: 9\n' >"$TMP/repo/.guard.yaml"
err=$(cd "$TMP/repo" && "$SHOW" . 2>&1)
is "$err" "guard: invalid configuration '$root/.guard.yaml': line 3: pin.jobs: duplicate key (first on line 2)" \
	"duplicate key"

done_testing
