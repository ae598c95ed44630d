# Helpers for the report tests: the fixture program, and the JSON Schema and
# SARIF validators from the npm registry, installed once into a cache folder
# that is git-ignored. Source it after tests/lib/tap.sh.
FIXTURE=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/report-fixture
VALIDATORS=$ROOT/tests/node_modules/validators
MULTITOOL=$VALIDATORS/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

# The fake secrets of tests/tools/report-fixture.c, including a build-arg
# value and an inline value in image steps; none may appear in any output.
FIXTURE_SECRETS='ghp_R3p0rtF1xtureT0ken0000000000000000000
AKIAREPORTFIXTURE777
pw1234
RePoRtFiXtUrEkEy
xoxb-2222222222-report-fixture-slack
sk_live_ReportFixtureStripeKey0001
npm_SecretFixtureValue000000000000000000
ghp_0therF1xtureT0ken11111111111111111111
Zm9vYmFyU2VjcmV0VmFsdWU1
ghp_Th1rdF1xtureT0ken2222222222222222222
lowercasepassphrase'

# install_validators: installs ajv-cli, ajv-formats and the SARIF Multitool
# unless they are there. Parallel tests wait on one lock. The packages go in
# a subfolder because Node does not look for modules in a node_modules
# folder nested directly in another one.
install_validators() {
	mkdir -p "$VALIDATORS"
	(
		flock 9
		if [ ! -x "$VALIDATORS/node_modules/.bin/ajv" ] || [ ! -f "$MULTITOOL" ]; then
			npm install --prefix "$VALIDATORS" --no-audit --no-fund \
			    ajv-cli ajv-formats @microsoft/sarif-multitool >"$TMP/npm.log" 2>&1 ||
			    { cat "$TMP/npm.log" >&2; exit 1; }
		fi
		# npm 11 skips the package's postinstall, which only sets this bit.
		chmod u+x "$MULTITOOL"
	) 9>"$ROOT/tests/node_modules/.lock"
}

# validate_json FILE: checks FILE against doc/report.schema.json. The
# validator runs without a network, so it cannot fetch anything.
validate_json() {
	unshare --net "$VALIDATORS/node_modules/.bin/ajv" validate --spec=draft2020 \
	    -c ajv-formats --strict=true -s "$ROOT/doc/report.schema.json" -d "$1" 2>&1
}

# validate_sarif FILE: runs the SARIF Multitool's GitHub and SARIF rules,
# without a network (its rule SARIF2006 would fetch every URI, so the
# options file turns it off). Prints the findings; the tool exits 0 even
# when it reports errors, so callers look for " error " lines.
validate_sarif() {
	DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 unshare --net "$MULTITOOL" validate \
	    --rule-kind "Gh;Sarif" -c "$ROOT/tests/fixtures/report/sarif-multitool.xml" "$1" 2>&1
}

# assert_no_secrets NAME FILE...: one check per file that no fixture
# secret occurs in it.
assert_no_secrets() {
	name=$1
	shift
	for file in "$@"; do
		if printf '%s\n' "$FIXTURE_SECRETS" | grep -F -q -f - "$file"; then
			ok 1 "$name: no secret in $(basename "$file")"
		else
			ok 0 "$name: no secret in $(basename "$file")"
		fi
	done
}

# normalise_version: replaces guard's version in a report with 0.0.0.
normalise_version() {
	sed -e "s/\"$GUARD_VERSION_TEXT\"/\"0.0.0\"/g"
}
GUARD_VERSION_TEXT=$(cat "$ROOT/VERSION")
