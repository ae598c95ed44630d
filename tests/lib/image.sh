# Helpers that build small test images without a daemon (umoci, jq, zstd)
# for guard's image tests. Source after tap.sh. Secrets are generated per
# run in the shape of real ones, never copied from vendor documentation.

# fake_github_token: "ghp_" and 36 random alphanumerics.
fake_github_token() {
	printf 'ghp_%s' "$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 36)"
}

# fake_aws_key_id: "AKIA" and 16 base32 characters.
fake_aws_key_id() {
	printf 'AKIA%s' "$(LC_ALL=C tr -dc 'A-Z2-7' </dev/urandom | head -c 16)"
}

# image_layer LAYOUT TAG BUNDLE CREATED_BY: commits the bundle's changes as
# one layer, then unpacks again so that the next layer starts from it.
image_layer() {
	umoci repack --image "$1:$2" --history.created_by "$4" "$3" >/dev/null &&
	rm -rf "$3" &&
	umoci unpack --rootless --image "$1:$2" "$3" >/dev/null 2>&1
}

# image_new LAYOUT TAG BUNDLE: an empty image and its unpacked bundle.
image_new() {
	[ -d "$1" ] || umoci init --layout "$1"
	umoci new --image "$1:$2" &&
	umoci unpack --rootless --image "$1:$2" "$3" >/dev/null 2>&1
}

# image_manifest_digest LAYOUT TAG: the manifest digest a tag points to.
image_manifest_digest() {
	jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}

# image_blob LAYOUT DIGEST: the path of a blob.
image_blob() {
	printf '%s/blobs/sha256/%s' "$1" "${2#sha256:}"
}

# image_put_blob LAYOUT FILE: stores FILE as a blob and prints its digest.
image_put_blob() {
	_d=$(sha256sum "$2" | cut -d' ' -f1)
	cp "$2" "$1/blobs/sha256/$_d"
	printf 'sha256:%s' "$_d"
}

# image_retag LAYOUT TAG MANIFEST_FILE: stores a manifest and points TAG at it.
image_retag() {
	_m=$(image_put_blob "$1" "$3")
	_s=$(stat -c %s "$3")
	jq --arg t "$2" --arg d "$_m" --argjson s "$_s" \
		'.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] != $t)) |
		 .manifests += [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
		                 annotations: {"org.opencontainers.image.ref.name": $t}}]' \
		"$1/index.json" >"$1/index.json.new" && mv "$1/index.json.new" "$1/index.json"
}

# image_zstd_layer LAYOUT TAG N: recompresses layer N (0-based) of TAG with
# zstd and fixes the manifest.
image_zstd_layer() {
	_man=$(image_blob "$1" "$(image_manifest_digest "$1" "$2")")
	_old=$(jq -r --argjson n "$3" '.layers[$n].digest' "$_man")
	gzip -dc "$(image_blob "$1" "$_old")" | zstd -q -c >"$1/layer.zst"
	_new=$(image_put_blob "$1" "$1/layer.zst")
	jq --argjson n "$3" --arg d "$_new" --argjson s "$(stat -c %s "$1/layer.zst")" \
		'.layers[$n] |= (.digest = $d | .size = $s | .mediaType = "application/vnd.oci.image.layer.v1.tar+zstd")' \
		"$_man" >"$1/man.json"
	rm -f "$1/layer.zst"
	image_retag "$1" "$2" "$1/man.json"
	rm -f "$1/man.json"
}

# image_append_layer LAYOUT TAG TARFILE CREATED_BY: adds TARFILE (a plain
# tar, stored gzip-compressed) as the top layer of TAG, with its diff_id and
# history entry, for layers that umoci does not write (opaque folders).
image_append_layer() {
	_man=$(image_blob "$1" "$(image_manifest_digest "$1" "$2")")
	_cfg=$(image_blob "$1" "$(jq -r '.config.digest' "$_man")")
	_diff=sha256:$(sha256sum "$3" | cut -d' ' -f1)
	gzip -nc "$3" >"$1/layer.gz"
	_blob=$(image_put_blob "$1" "$1/layer.gz")
	_bsize=$(stat -c %s "$1/layer.gz")
	rm -f "$1/layer.gz"
	jq --arg d "$_diff" --arg c "$4" '.rootfs.diff_ids += [$d] | .history += [{created_by: $c}]' \
		"$_cfg" >"$1/config.json"
	_newcfg=$(image_put_blob "$1" "$1/config.json")
	_csize=$(stat -c %s "$1/config.json")
	rm -f "$1/config.json"
	jq --arg c "$_newcfg" --argjson cs "$_csize" --arg b "$_blob" --argjson bs "$_bsize" \
		'.config.digest = $c | .config.size = $cs |
		 .layers += [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $b, size: $bs}]' \
		"$_man" >"$1/man.json"
	image_retag "$1" "$2" "$1/man.json"
	rm -f "$1/man.json"
}
