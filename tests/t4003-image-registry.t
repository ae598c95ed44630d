#!/usr/bin/env bash
# guard scan image docker://: the same image from a TLS registry with basic
# auth and from a token registry (credentials from DOCKER_CONFIG) gives the
# same findings as the OCI layout it was pushed from; a corrupt blob on the
# registry is an error (exit 4), never a clean result.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/testbed.sh"
. "$(dirname "$0")/lib/image.sh"

cd "$TMP" || exit 1
O=$TMP/oci

findings() {
	jq -S '[.findings[] | {rule, path, origin, line, column, preview, secret_length, message,
		removed: .image.removed, layer: .image.layer, layer_index: .image.layer_index,
		platform: .image.platform, step: .image.step}] | sort_by(.origin, .path, .rule, .layer_index, .line)' "$1"
}

TOKEN=$(fake_github_token)
image_new "$O" 1 b
mkdir -p b/rootfs/app
echo "token=$TOKEN" >b/rootfs/app/.env.production
echo "GITHUB_TOKEN=$TOKEN" >b/rootfs/app/keep
image_layer "$O" 1 b "COPY . /app # buildkit"
rm b/rootfs/app/.env.production
image_layer "$O" 1 b "RUN /bin/sh -c rm /app/.env.production # buildkit"
umoci config --image "$O:1" --config.env "API_TOKEN=$(fake_github_token)" \
	--history.created_by "ENV API_TOKEN=..."

testbed_plain || exit 1
testbed_tls || exit 1
testbed_token || exit 1
for r in "$TB_PLAIN" "$TB_TLS" "$TB_TOKEN"; do
	testbed_push "oci:$O:1" "$r/test/app:1" || exit 1
done

# A layer with a media type guard does not read: a problem of the input for
# the local layout (exit 3), a registry failure for the same image pulled
# (exit 4).
umoci tag --image "$O:1" odd
ODD_MAN=$(image_blob "$O" "$(image_manifest_digest "$O" odd)")
jq '.layers[0].mediaType = "application/vnd.example.unknown.layer"' "$ODD_MAN" >odd.json
image_retag "$O" odd odd.json
testbed_push "oci:$O:odd" "$TB_PLAIN/test/app:odd" || exit 1
out=$("$GUARD" scan image "oci:$O:odd" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "unsupported layer type in a layout exits 3"
like "$out" "unsupported media type 'application/vnd.example.unknown.layer'" "layout error names the media type"
out=$("$GUARD" scan image --insecure-registry "$TB_PLAIN" "docker://$TB_PLAIN/test/app:odd" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "unsupported layer type from a registry exits 4"
like "$out" "unsupported media type 'application/vnd.example.unknown.layer'" "registry error names the media type"

mkdir -p "$TMP/docker-config"
AUTH=$(printf '%s:%s' "$TB_USER" "$TB_PASS" | base64 -w0)
jq -n --arg tls "$TB_TLS" --arg token "$TB_TOKEN" --arg a "$AUTH" \
	'{auths: {($tls): {auth: $a}, ($token): {auth: $a}}}' >"$TMP/docker-config/config.json"
export DOCKER_CONFIG=$TMP/docker-config

"$GUARD" scan image --format json "oci:$O:1" >local.json 2>/dev/null; rc=$?
is "$rc" 1 "local layout has findings"
findings local.json >want.json

"$GUARD" scan image --format json --ca-file "$TB_CA" "docker://$TB_TLS/test/app:1" >tls.json 2>tls.err; rc=$?
is "$rc" 1 "TLS registry with basic auth: findings"
findings tls.json >got.json
is "$(cmp -s want.json got.json && echo same)" same "TLS registry: identical findings"
[ "$rc" = 1 ] || sed 's/^/# /' tls.err

"$GUARD" scan image --format json --insecure-registry "$TB_TOKEN" "$TB_TOKEN/test/app:1" >token.json 2>token.err; rc=$?
is "$rc" 1 "token registry (no transport prefix): findings"
findings token.json >got.json
is "$(cmp -s want.json got.json && echo same)" same "token registry: identical findings"
[ "$rc" = 1 ] || sed 's/^/# /' token.err

# Docker media types (v2s2) and a multi-platform index from the registry.
testbed_push "oci:$O:1" "$TB_PLAIN/test/app:v2s2" --format v2s2 || exit 1
"$GUARD" scan image --format json --insecure-registry "$TB_PLAIN" "docker://$TB_PLAIN/test/app:v2s2" >v2s2.json 2>v2s2.err; rc=$?
is "$rc" 1 "Docker v2s2 manifest: findings"
findings v2s2.json >got.json
is "$(cmp -s want.json got.json && echo same)" same "Docker v2s2 manifest: identical findings"

testbed_index multi || exit 1
testbed_push multi "$TB_PLAIN/test/multi:1" || exit 1
"$GUARD" scan image --format json --insecure-registry "$TB_PLAIN" "$TB_PLAIN/test/multi:1" >multi.json 2>multi.err; rc=$?
is "$rc" 0 "index from the registry without secrets is clean"
[ "$rc" = 0 ] || sed "s/^/# /" multi.err
is "$(jq '.summary.problems' multi.json)" 0 "index from the registry has no problems"
out=$("$GUARD" scan image -v --insecure-registry "$TB_PLAIN" --platform linux/s390x "$TB_PLAIN/test/multi:1" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "platform missing from the index exits 4"
like "$out" "no platform 'linux/s390x' in image '.*': it has linux/" "registry platform error lists the platforms"
"$GUARD" scan image --format json --insecure-registry "$TB_PLAIN" --platform linux/amd64 \
	--platform linux/s390x "$TB_PLAIN/test/multi:1" >partial.json 2>/dev/null; rc=$?
is "$rc" 4 "one of two platforms missing from the registry exits 4"
is "$(jq '.summary.problems' partial.json)" 1 "one of two platforms missing: the report has one problem"

# Corrupt a layer in the plain registry's storage: the digest check fails.
MAN=$(image_blob "$O" "$(image_manifest_digest "$O" 1)")
L1=$(jq -r '.layers[0].digest | ltrimstr("sha256:")' "$MAN")
DATA=$(find "$TB_DIR" -path "*plain*/blobs/sha256/${L1:0:2}/$L1/data" | head -1)
printf '\001' | dd of="$DATA" bs=1 seek=5 conv=notrunc 2>/dev/null
out=$("$GUARD" scan image --insecure-registry "$TB_PLAIN" "docker://$TB_PLAIN/test/app:1" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "digest mismatch from a registry exits 4"
like "$out" "sha256:$L1" "the blob is named"

out=$("$GUARD" scan image --insecure-registry "$TB_PLAIN" "docker://$TB_PLAIN/test/nothing:1" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "missing repository exits 4"

done_testing
