#!/usr/bin/env bash
# guard scan image end to end on local images: ENV and build argument
# secrets (buildah), deleted, hidden, hard-linked and zstd-compressed secret
# files (umoci), the same findings from every local transport, and corrupt
# blobs that must never give a clean result.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/image.sh"

cd "$TMP" || exit 1
O=$TMP/oci

# findings FILE: the findings of a JSON report without the fields that name
# the transport, sorted.
findings() {
	jq -S '[.findings[] | {rule, path, origin, line, column, preview, secret_length, message,
		removed: .image.removed, layer: .image.layer, layer_index: .image.layer_index,
		platform: .image.platform, step: .image.step}] | sort_by(.origin, .path, .rule, .layer_index, .line)' "$1"
}

# --- buildah: ENV secret and a build argument used by RUN ---
mkdir ctx && cp /bin/busybox ctx/busybox
ENV_SECRET=$(fake_github_token)
ARG_SECRET=$(fake_github_token)
cat >ctx/Dockerfile <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
ENV DATABASE_PASSWORD=$ENV_SECRET
ARG API_KEY
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /etc && echo \$API_KEY > /config"]
DOCKERFILE
B="buildah --root $TMP/bstore/root --runroot $TMP/bstore/run --storage-driver vfs"
$B bud -q --isolation chroot --layers --build-arg "API_KEY=$ARG_SECRET" -t localhost/leaky \
	-f ctx/Dockerfile ctx >/dev/null 2>buildah.log
is "$?" 0 "buildah builds the image"
$B push -q localhost/leaky "oci:$TMP/leaky:1" 2>>buildah.log
at_exit "$B rm -a >/dev/null 2>&1; $B rmi -a -f >/dev/null 2>&1; chmod -R u+w $TMP/bstore 2>/dev/null"

"$GUARD" scan image --format json "oci:$TMP/leaky:1" >leaky.json 2>leaky.err; rc=$?
is "$rc" 1 "findings give exit 1"
[ "$rc" = 1 ] || sed "s/^/# /" leaky.err buildah.log
is "$(jq '[.findings[] | select(.rule == "image-env-secret" and .path == "DATABASE_PASSWORD" and .origin == "config.Env")] | length' leaky.json)" 1 \
	"ENV secret reported by name"
is "$(jq '[.findings[] | select(.rule == "image-build-arg-secret" and .path == "API_KEY" and .origin == "history")] | length' leaky.json)" 1 \
	"build argument reported once, from history"
like "$(jq -r '.findings[] | select(.rule == "image-build-arg-secret") | .image.step' leaky.json)" '^\|1 API_KEY=' \
	"build argument names the step that recorded it"
is "$(jq '[.findings[] | select(.origin == "layer" and .path == "config")] | length >= 1' leaky.json)" true \
	"RUN output file is scanned in its layer"
like "$(jq -r '.findings[] | select(.origin == "layer" and .path == "config") | .image.step' leaky.json | head -1)" 'API_KEY' \
	"layer finding names the history step"
unlike "$(cat leaky.json leaky.err)" "$ENV_SECRET|$ARG_SECRET" "secrets never printed"

# --- umoci: deleted file, replaced folder, hard link, zstd layer ---
TOKEN=$(fake_github_token)
image_new "$O" 1 b
mkdir -p b/rootfs/app/conf b/rootfs/keep
echo "token=$TOKEN" >b/rootfs/app/.env.production
echo "GITHUB_TOKEN=$TOKEN" >b/rootfs/app/conf/settings
echo "GITHUB_TOKEN=$TOKEN" >b/rootfs/keep/stay
ln b/rootfs/keep/stay b/rootfs/keep/link
image_layer "$O" 1 b "COPY . /app # buildkit"
rm b/rootfs/app/.env.production
rm -rf b/rootfs/app/conf && mkdir b/rootfs/app/conf && echo clean >b/rootfs/app/conf/settings
image_layer "$O" 1 b "RUN /bin/sh -c rm -rf /app/.env.production /app/conf # buildkit"
umoci tag --image "$O:1" z
image_zstd_layer "$O" z 0

"$GUARD" scan image --format json "oci:$O:1" >oci.json 2>oci.err; rc=$?
is "$rc" 1 "umoci image has findings"
is "$(jq '[.findings[] | select(.path == "app/.env.production" and .image.removed == true and .image.layer_index == 1)] | length >= 1' oci.json)" true \
	"deleted file is reported as removed"
is "$(jq -r '.findings[] | select(.path == "app/.env.production") | .message' oci.json | head -1)" \
	'layer 2 deletes it' "removed message names the deleting layer"
"$GUARD" scan image --format sarif "oci:$O:1" >oci.sarif 2>/dev/null
is "$(jq '[.runs[0].results[] | select(.locations[0].physicalLocation.artifactLocation.uri | test("env.production")) | .properties.removed] | any' oci.sarif)" true \
	"sarif marks the deleted file removed"
"$GUARD" scan image "oci:$O:1" >oci.txt 2>/dev/null
grep -q "layer 2 deletes it" oci.txt; ok $? "text report names the deleting layer"
is "$(grep -c 'removed in a later layer' oci.txt)" "$(grep -c 'layer 2 deletes it' oci.txt)" \
	"text report notes each removal once, with the deleting layer"
unlike "$(cat oci.txt)" 'still downloadable' "text report does not repeat the removal"
is "$(jq '[.findings[] | select(.path == "app/conf/settings" and .image.removed == true)] | length >= 1' oci.json)" true \
	"file in a replaced folder is reported as removed"
is "$(jq '[.findings[] | select(.path == "keep/stay" and .image.removed == false)] | length >= 1' oci.json)" true \
	"hard link target is reported"
is "$(jq '[.findings[] | select(.path == "keep/link" and .image.removed == false)] | length >= 1' oci.json)" true \
	"hard link name is reported too"
like "$(jq -r '.findings[] | select(.path == "keep/stay") | .image.layer' oci.json | head -1)" '^sha256:[0-9a-f]{64}$' \
	"finding names the layer digest"

"$GUARD" scan image --format json "oci:$O:z" >zstd.json 2>zstd.err; rc=$?
is "$rc" 1 "zstd layer image has findings"
is "$(findings zstd.json | jq 'map(del(.layer)) | length')" "$(findings oci.json | jq 'map(del(.layer)) | length')" \
	"zstd layer gives as many findings"

# --- the same image from every local transport ---
findings oci.json >want.json
tar -C "$O" -cf oci.tar .
"$GUARD" scan image --format json "oci-archive:$TMP/oci.tar:1" >got.json 2>/dev/null
findings got.json >got-n.json
is "$(cmp -s want.json got-n.json && echo same)" same "oci-archive: identical findings"

skopeo copy -q "oci:$O:1" "docker-archive:$TMP/legacy.tar:test/app:1" 2>/dev/null
"$GUARD" scan image --format json "docker-archive:$TMP/legacy.tar" >got.json 2>/dev/null
findings got.json >got-n.json
is "$(cmp -s want.json got-n.json && echo same)" same "docker-archive (legacy): identical findings"

mkdir d25 && cp -r "$O/blobs" "$O/oci-layout" d25/
MAN=$(image_blob "$O" "$(image_manifest_digest "$O" 1)")
jq '.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] == "1"))' "$O/index.json" >d25/index.json
jq -c '[{Config: ("blobs/sha256/" + (.config.digest | ltrimstr("sha256:"))), RepoTags: ["test/app:1"],
	 Layers: [.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]}]' "$MAN" >d25/manifest.json
tar -C d25 -cf d25.tar .
"$GUARD" scan image --format json "docker-archive:$TMP/d25.tar" >got.json 2>/dev/null
findings got.json >got-n.json
is "$(cmp -s want.json got-n.json && echo same)" same "docker-archive (Docker 25 layout): identical findings"

# --- corrupt blobs: errors naming the blob, exit 3, never clean ---
L1=$(jq -r '.layers[0].digest' "$MAN")
cp -r "$O" bad
head -c 200 "$(image_blob "$O" "$L1")" >"$(image_blob bad "$L1")"
out=$("$GUARD" scan image "oci:$TMP/bad:1" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "truncated layer exits 3"
like "$out" "$L1" "truncated layer is named"

rm -rf bad && cp -r "$O" bad
printf '\001' | dd of="$(image_blob bad "$L1")" bs=1 seek=5 conv=notrunc 2>/dev/null
out=$("$GUARD" scan image "oci:$TMP/bad:1" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "digest mismatch exits 3"
like "$out" "does not match its digest" "digest mismatch is reported"

echo '{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}' >s1.json
mkdir s1 && cp -r "$O/blobs" "$O/oci-layout" s1/
S1=$(image_put_blob s1 s1.json)
jq -nc --arg d "$S1" --argjson s "$(stat -c %s s1.json)" '{schemaVersion: 2, manifests: [{mediaType:
	"application/vnd.docker.distribution.manifest.v1+prettyjws", digest: $d, size: $s}]}' >s1/index.json
out=$("$GUARD" scan image "oci:$TMP/s1" 2>&1); rc=$?
is "$rc" 3 "schema 1 manifest exits 3"
like "$out" "schema 1" "schema 1 is named as unsupported"

out=$("$GUARD" scan image --max-layer-size 100 "oci:$O:1" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "layer size limit exits 3"
like "$out" "max-layer-size" "layer size limit is named"

# A layer whose only entry is larger than the limit: its bytes are counted
# when the end of the archive is reached.
image_new "$TMP/one" 1 "$TMP/one-bundle" || exit 1
head -c 2000000 /dev/zero >"$TMP/one-bundle/rootfs/big.bin"
image_layer "$TMP/one" 1 "$TMP/one-bundle" "COPY big.bin /" || exit 1
out=$("$GUARD" scan image --max-layer-size 1000000 "oci:$TMP/one:1" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "layer size limit on the last entry exits 3"
like "$out" "max-layer-size" "layer size limit on the last entry is named"

out=$("$GUARD" scan image --max-layer-entries 2 "oci:$O:1" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "entry limit exits 3"
like "$out" "max-layer-entries" "entry limit is named"

out=$("$GUARD" scan image "$TMP/oci.tar" 2>&1); rc=$?
is "$rc" 2 "local path without a transport is a usage error"
like "$out" "name it as oci:" "the error suggests the transports"

"$GUARD" scan image --help >/dev/null; rc=$?
is "$rc" 0 "help"
"$GUARD" scan image >/dev/null 2>&1; rc=$?
is "$rc" 2 "missing image is a usage error"

done_testing
