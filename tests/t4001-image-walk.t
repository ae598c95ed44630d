#!/usr/bin/env bash
# The image reader, through tests/tools/image-walk: layers of every kind of
# local image (OCI layout, OCI archive, both docker save layouts), whiteouts,
# opaque folders, hard links, zstd layers, indexes with attestations, and
# corrupt blobs.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/image.sh"

WALK=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/image-walk
cd "$TMP" || exit 1
O=$TMP/oci

# Layer 1 adds a secret, a folder and a hard link; layer 2 deletes the
# secret, replaces the folder and keeps a file. Tag z has layer 2 in zstd.
TOKEN=$(fake_github_token)
image_new "$O" 1 b
mkdir -p b/rootfs/app/conf b/rootfs/keep
echo "token=$TOKEN" >b/rootfs/app/.env
echo "key=$TOKEN" >b/rootfs/app/conf/old
echo "key=$TOKEN" >b/rootfs/keep/stay
ln b/rootfs/keep/stay b/rootfs/keep/link
image_layer "$O" 1 b "COPY . /app # buildkit"
rm b/rootfs/app/.env
rm -rf b/rootfs/app/conf && mkdir b/rootfs/app/conf && echo new >b/rootfs/app/conf/new
image_layer "$O" 1 b "RUN |1 NPM_TOKEN=npm_x /bin/sh -c rm -rf /app/.env # buildkit"
umoci config --image "$O:1" --config.env "API_TOKEN=$TOKEN" --config.label team=core \
	--history.created_by "ENV API_TOKEN=$TOKEN"
umoci tag --image "$O:1" z
image_zstd_layer "$O" z 1

out=$("$WALK" "oci:$O:1"); rc=$?
is "$rc" 0 "oci layout walks"
like "$out" '^config linux/amd64 sha256:' "config with its platform"
like "$out" '^env API_TOKEN$' "Env entry"
like "$out" '^label team$' "label"
like "$out" '^history 1 2 RUN \|1 NPM_TOKEN=npm_x' "history step mapped to layer 2"
like "$out" '^layer 2 sha256:[0-9a-f]{64} RUN \|1' "layer 2 names its step"
like "$out" '^file 1 app/\.env ' "deleted file is read from layer 1"
like "$out" '^removed 1 app/\.env 2$' "whiteout marks the file removed in layer 2"
like "$out" '^removed 1 app/conf/old 2$' "replaced folder marks its files removed"
like "$out" '^link 1 keep/(link keep/stay|stay keep/link)$' "hard link names its target"
like "$out" '^file 2 app/conf/new 4$' "layer 2 is read"
unlike "$out" '^removed 1 keep/stay' "untouched file is not removed"
WALK_OCI=$(printf '%s\n' "$out" | grep -v '^config')
out=$("$WALK" "oci:$O:z"); rc=$?
is "$rc" 0 "zstd layer walks"
[ "$rc" = 0 ] || printf "%s\n" "$out" | grep "^problem" | sed "s/^/# /"
is "$(printf '%s\n' "$out" | grep -E '^(file|link|removed)')" \
	"$(printf '%s\n' "$WALK_OCI" | grep -E '^(file|link|removed)')" "zstd layer gives the same files"

# An opaque folder (".wh..wh..opq") in a third layer hides what lower
# layers had under keep/, while its own new file stays.
umoci tag --image "$O:1" opq
mkdir -p opq/keep && touch opq/keep/.wh..wh..opq && echo fresh >opq/keep/fresh
tar -C opq -cf opq.tar keep
image_append_layer "$O" opq opq.tar "RUN /bin/sh -c rm -rf /keep/* # buildkit"
out=$("$WALK" "oci:$O:opq"); rc=$?
is "$rc" 0 "image with an opaque folder walks"
like "$out" '^removed 1 keep/stay 3$' "opaque folder removes a lower file"
like "$out" '^removed 1 keep/link 3$' "opaque folder removes a lower hard link"
like "$out" '^file 3 keep/fresh 6$' "file beside the opaque marker is read"
unlike "$out" 'removed 3 keep/fresh' "file of the opaque layer stays"
unlike "$out" 'removed 2 app/conf/new' "other folders are untouched"
"$GUARD" scan image --format json "oci:$O:opq" >opq.json 2>/dev/null
is "$(jq '[.findings[] | select(.path == "keep/stay" and .image.removed == true)] | length >= 1' opq.json)" true \
	"guard marks findings under an opaque folder removed"

# The same image as an OCI archive, a legacy docker save archive (skopeo)
# and a Docker 25+ archive (OCI layout plus manifest.json) gives the same
# entries.
tar -C "$O" -cf oci.tar .
out=$("$WALK" "oci-archive:$TMP/oci.tar:1"); rc=$?
is "$rc" 0 "oci archive walks"
is "$(printf '%s\n' "$out" | grep -v '^config')" "$WALK_OCI" "oci archive gives the same entries"

skopeo copy -q "oci:$O:1" "docker-archive:$TMP/legacy.tar:test/app:1" 2>&1
out=$("$WALK" "docker-archive:$TMP/legacy.tar"); rc=$?
is "$rc" 0 "legacy docker save archive walks"
is "$(printf '%s\n' "$out" | grep -E '^(file|link|removed|env|label|history)')" \
	"$(printf '%s\n' "$WALK_OCI" | grep -E '^(file|link|removed|env|label|history)')" \
	"legacy docker save gives the same files"
out=$("$WALK" "docker-archive:$TMP/legacy.tar:test/app:1"); rc=$?
is "$rc" 0 "docker save image chosen by its tag"

# Docker's legacy layout: Layers name "<id>/layer.tar", a repeated layer is a
# tar symlink to the first copy, and manifest.json comes first in the tar.
mkdir leg && tar -C leg -xf legacy.tar
CFG=$(jq -r '.[0].Config' leg/manifest.json)
FIRST=$(jq -r '.[0].Layers[0]' leg/manifest.json)
SECOND=$(jq -r '.[0].Layers[1]' leg/manifest.json)
jq '.rootfs.diff_ids += [.rootfs.diff_ids[0]] | .history += [{created_by: "COPY . /app again"}]' \
	"leg/$CFG" >cfg.json
NEWCFG=$(sha256sum cfg.json | cut -d' ' -f1).json
rm "leg/$CFG" && mv cfg.json "leg/$NEWCFG"
mkdir leg/one leg/two leg/three
mv "leg/$FIRST" leg/one/layer.tar
mv "leg/$SECOND" leg/two/layer.tar
ln -s ../one/layer.tar leg/three/layer.tar
jq -nc --arg c "$NEWCFG" '[{Config: $c, RepoTags: ["test/app:1"],
	Layers: ["one/layer.tar", "two/layer.tar", "three/layer.tar"]}]' >leg/manifest.json
(cd leg && tar -cf ../leg.tar manifest.json "$NEWCFG" one two three)
out=$("$WALK" "docker-archive:$TMP/leg.tar"); rc=$?
is "$rc" 0 "legacy layout with a symlinked layer walks"
is "$(printf '%s\n' "$out" | grep -E '^(file|link|removed)')" \
	"$(printf '%s\n' "$WALK_OCI" | grep -E '^(file|link|removed)')" "legacy layout gives the same files"
is "$(printf '%s\n' "$out" | grep -c '^layer ')" 2 "repeated layer is walked once"
rm leg/one/layer.tar && echo other >other.txt && tar -cf leg/one/layer.tar other.txt
(cd leg && tar -cf ../leg-bad.tar manifest.json "$NEWCFG" one two three)
out=$("$WALK" "docker-archive:$TMP/leg-bad.tar"); rc=$?
is "$rc" 1 "altered legacy layer is a problem"
like "$out" "^problem parse: layer 1 \('one/layer.tar'\).*does not match its digest" \
	"legacy layer is checked against its diff_id"

mkdir d25 && cp -r "$O/blobs" "$O/oci-layout" "$O/index.json" d25/
MAN=$(image_blob "$O" "$(image_manifest_digest "$O" 1)")
jq -c '[{Config: ("blobs/sha256/" + (.config.digest | ltrimstr("sha256:"))),
	 RepoTags: ["test/app:1"],
	 Layers: [.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]}]' "$MAN" >d25/manifest.json
tar -C d25 -cf d25.tar .
out=$("$WALK" "docker-archive:$TMP/d25.tar"); rc=$?
is "$rc" 0 "Docker 25 archive walks"
is "$(printf '%s\n' "$out" | grep -v '^config')" "$WALK_OCI" "Docker 25 archive gives the same entries"

# Several names and no choice: a clear error listing them.
umoci tag --image "$O:1" 2
umoci tag --image "$O:1" 3
out=$("$WALK" "oci:$O" 2>&1); rc=$?
is "$rc" 2 "ambiguous layout fails"
like "$out" "missing image name for .*: it contains [0-9]+ images \(names: [^)]*\), so add :NAME" "error lists the names"
out=$("$WALK" "oci:$O:nope" 2>&1); rc=$?
like "$out" "no image named 'nope' in" "unknown name is reported"

# A multi-platform index with BuildKit-style attestation entries.
umoci config --image "$O:1" --tag arm --architecture arm64 --history.created_by "relabel"
A=$(jq -c '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "1") | del(.annotations)' "$O/index.json")
B=$(jq -c '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "arm") | del(.annotations)' "$O/index.json")
echo '{}' >empty.json
EMPTY=$(image_put_blob "$O" empty.json)
jq -nc --arg t "$(fake_github_token)" '{_type: "https://in-toto.io/Statement/v0.1",
	predicateType: "https://slsa.dev/provenance/v0.2",
	predicate: {invocation: {parameters: {args: {"build-arg:NPM_TOKEN": $t, "target": "x"}}}}}' >prov.json
PROV=$(image_put_blob "$O" prov.json)
jq -nc --arg c "$EMPTY" --arg p "$PROV" --argjson ps "$(stat -c %s prov.json)" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: 3},
	layers: [{mediaType: "application/vnd.in-toto+json", digest: $p, size: $ps,
		  annotations: {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}]}' >att.json
ATT=$(image_put_blob "$O" att.json)
jq -nc --argjson a "$A" --argjson b "$B" --arg att "$ATT" --argjson asize "$(stat -c %s att.json)" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
	($a | .platform = {architecture: "amd64", os: "linux"}),
	($b | .platform = {architecture: "arm64", os: "linux", variant: "v8"}),
	{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $att, size: $asize,
	 platform: {architecture: "unknown", os: "unknown"},
	 annotations: {"vnd.docker.reference.type": "attestation-manifest",
		       "vnd.docker.reference.digest": $a.digest}}]}' >idx.json
IDX=$(image_put_blob "$O" idx.json)
jq --arg d "$IDX" --argjson s "$(stat -c %s idx.json)" '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json",
	digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "multi"}}]' \
	"$O/index.json" >"$O/index.json.new" && mv "$O/index.json.new" "$O/index.json"

out=$("$WALK" "oci:$O:multi"); rc=$?
is "$rc" 0 "index walks"
is "$(printf '%s\n' "$out" | grep -c '^config ')" 2 "both platforms are walked"
like "$out" '^config linux/arm64/v8 ' "arm64 platform from the index"
unlike "$out" 'unknown/unknown' "attestation is not an image"
like "$out" '^build-arg NPM_TOKEN=ghp_' "provenance build argument"
unlike "$out" '^build-arg target' "other provenance arguments are skipped"
is "$(printf '%s\n' "$out" | grep -c '^layer ')" 2 "shared layers are walked once"
out=$("$WALK" --platform linux/arm64 "oci:$O:multi"); rc=$?
is "$(printf '%s\n' "$out" | grep -c '^config ')" 1 "--platform selects one platform"
like "$out" '^config linux/arm64/v8 ' "linux/arm64 matches variant v8"
out=$("$WALK" --platform linux/s390x "oci:$O:multi" 2>&1); rc=$?
is "$rc" 2 "missing platform fails"
like "$out" "no platform 'linux/s390x' in image" "missing platform is named"

# guard reports the provenance build argument and scans each platform.
"$GUARD" scan image --format json "oci:$O:multi" >multi.json 2>/dev/null; rc=$?
is "$rc" 1 "guard finds secrets in the index"
is "$(jq '[.findings[] | select(.rule == "image-build-arg-secret" and .origin == "provenance" and .path == "NPM_TOKEN")] | length' multi.json)" 1 \
	"provenance build argument is reported"
is "$(jq '[.findings[] | select(.origin == "config.Env") | .image.platform] | unique | length' multi.json)" 2 \
	"config of each platform is scanned"
"$GUARD" scan image --format json --platform linux/arm64 "oci:$O:multi" >arm.json 2>/dev/null
is "$(jq '[.findings[] | .image.platform // empty] | unique | join(",")' arm.json)" '"linux/arm64/v8"' \
	"guard --platform scans one platform"
"$GUARD" scan image --platform arm64 "oci:$O:multi" >/dev/null 2>&1; rc=$?
is "$rc" 2 "platform without OS is a usage error"
out=$("$GUARD" scan image --platform linux/s390x "oci:$O:multi" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "platform missing from a local index exits 3"
like "$out" "no platform 'linux/s390x' in image 'oci:.*:multi': it has linux/amd64, linux/arm64/v8" \
	"missing platform lists the platforms of the index"
"$GUARD" scan image --format json --platform linux/arm64 --platform linux/s390x "oci:$O:multi" \
	>partial.json 2>partial.err; rc=$?
is "$rc" 3 "one of two platforms missing exits 3"
is "$(jq '[.findings[] | .image.platform // empty] | unique | join(",")' partial.json)" '"linux/arm64/v8"' \
	"one of two platforms missing: the report shows the other"
is "$(jq '.summary.problems' partial.json)" 1 "one of two platforms missing: one problem"
like "$(jq -r '.problems[0].message' partial.json)" "no platform 'linux/s390x' in image" \
	"one of two platforms missing: the problem names it"

# Corrupt blobs are problems that name the blob, never a clean walk.
cp -r "$O" bad
L1=$(jq -r '.layers[0].digest' "$MAN")
head -c 300 "$(image_blob "$O" "$L1")" >"$(image_blob bad "$L1")"
out=$("$WALK" "oci:$TMP/bad:1"); rc=$?
is "$rc" 1 "truncated layer is a problem"
like "$out" "^problem parse: layer 1 \('$L1'\)" "problem names the layer blob"

rm -rf bad && cp -r "$O" bad
# Same size and valid gzip, other bytes: the gzip header's time field.
printf '\001' | dd of="$(image_blob bad "$L1")" bs=1 seek=5 conv=notrunc 2>/dev/null
out=$("$WALK" "oci:$TMP/bad:1"); rc=$?
is "$rc" 1 "digest mismatch is a problem"
like "$out" "does not match its digest" "mismatch is reported"

jq '.layers[0].mediaType = "application/vnd.erofs.layer.v1"' "$MAN" >erofs.json
image_retag "$O" erofs erofs.json
out=$("$WALK" "oci:$O:erofs"); rc=$?
is "$rc" 1 "unsupported layer media type is a problem"
like "$out" "^problem parse: layer 1 \('$L1'\).*unsupported media type 'application/vnd.erofs.layer.v1'" \
	"unsupported media type names the blob"
like "$out" '^file 2 ' "other layers are still read"

out=$("$WALK" --max-layer-size 10 "oci:$O:1"); rc=$?
is "$rc" 1 "layer size limit is a problem"
like "$out" "max-layer-size" "limit is named"
out=$("$WALK" --max-file 1 "oci:$O:1"); rc=$?
like "$out" '^file 1 app/\.env 47 truncated$' "file over the cap is cut"

out=$("$WALK" "oci:$TMP/nowhere" 2>&1); rc=$?
is "$rc" 2 "missing layout fails"

done_testing
