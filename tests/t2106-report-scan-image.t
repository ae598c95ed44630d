#!/usr/bin/env bash
# Reports of a real image scan (guard scan image on a buildah image with an
# ENV secret and a build argument): the JSON Schema, the SARIF Multitool,
# and no secret in any format.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/image.sh"
. "$ROOT/tests/lib/report.sh"

install_validators
is "$?" 0 "validators installed"

cd "$TMP" || exit 1
mkdir ctx && cp /bin/busybox ctx/busybox
ENV_SECRET=$(fake_github_token)
ARG_SECRET=$(fake_github_token)
cat >ctx/Dockerfile <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
ENV DATABASE_PASSWORD=$ENV_SECRET
ARG API_KEY
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /etc && echo \$API_KEY > /config && /bin/busybox rm -f /bin/nothing"]
DOCKERFILE
B="buildah --root $TMP/bstore/root --runroot $TMP/bstore/run --storage-driver vfs"
$B bud -q --isolation chroot --layers --build-arg "API_KEY=$ARG_SECRET" -t localhost/report-leaky \
	-f ctx/Dockerfile ctx >/dev/null 2>buildah.log
is "$?" 0 "buildah builds the image"
$B push -q localhost/report-leaky "oci:$TMP/leaky:1" 2>>buildah.log
at_exit "$B rm -a >/dev/null 2>&1; $B rmi -a -f >/dev/null 2>&1; chmod -R u+w $TMP/bstore 2>/dev/null"

for format in text json sarif; do
	"$GUARD" scan image --format "$format" "oci:$TMP/leaky:1" >"report.$format" 2>"err.$format"
	is "$?" 1 "$format: findings give exit 1"
done

out=$(validate_json report.json)
rc=$?
is "$rc" 0 "image report is valid JSON Schema"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
like "$(jq -r '[.findings[].origin] | unique | join(" ")' report.json)" 'history' "history findings reported"
like "$(jq -r '[.findings[] | .image.layer // empty] | length' report.json)" '^[1-9]' "layer findings carry the layer"

validate_sarif report.sarif >validate.log
if grep -E '\.sarif\([0-9,]+\): (error|warning) ' validate.log >/dev/null; then
	ok 1 "multitool: image SARIF has no errors or warnings"
	sed 's/^/# /' validate.log | cut -c1-300 | head -20
else
	ok 0 "multitool: image SARIF has no errors or warnings"
fi

for f in report.text report.json report.sarif err.text err.json err.sarif; do
	if grep -F -q -e "$ENV_SECRET" -e "$ARG_SECRET" "$f"; then
		ok 1 "no secret in $f"
	else
		ok 0 "no secret in $f"
	fi
done

done_testing
