#!/usr/bin/env bash
# Local image inputs that cannot be read exit 3 with a message that names the
# input, the cause and what to do; only registry failures exit 4.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/image.sh"

cd "$TMP" || exit 1
O=$TMP/oci
image_new "$O" x b >/dev/null 2>&1
echo hello >b/rootfs/hello
image_layer "$O" x b "COPY hello /hello"
umoci tag --image "$O:x" y
tar -C "$O" -cf oci.tar .
mkdir empty-dir
: >empty.tar
echo '{}' >dm.json && tar -cf other.tar dm.json

# scan_fails NAME CODE PATTERN IMAGE [OPTION...]: guard exits CODE and its
# message matches PATTERN.
scan_fails() {
	_name=$1 _code=$2 _pattern=$3
	shift 3
	out=$("$GUARD" scan image "$@" 2>&1 >/dev/null); rc=$?
	is "$rc" "$_code" "$_name exits $_code"
	like "$out" "$_pattern" "$_name message"
}

scan_fails "missing layout folder" 3 \
	"^guard: cannot open OCI image layout '/nonexistent-guard:x': No such file or directory \(check the path" \
	oci:/nonexistent-guard:x
scan_fails "folder without oci-layout" 3 \
	"cannot open OCI image layout 'empty-dir': cannot read its oci-layout file: No such file or directory" \
	oci:empty-dir
scan_fails "file named as a layout" 3 "'oci.tar': not a folder \(name a tar archive as oci-archive:oci.tar" \
	oci:oci.tar
scan_fails "missing ref in a layout" 3 "no image named 'nosuchref' in 'oci:.*': the names are x, y" \
	"oci:$O:nosuchref"
scan_fails "two refs without a choice" 2 "missing image name for .*: it contains 2 images \(names: x, y\), so add :NAME to choose one" \
	"oci:$O"

scan_fails "missing archive" 3 \
	"^guard: cannot open archive '/nonexistent-guard.tar': No such file or directory \(check the path" \
	oci-archive:/nonexistent-guard.tar
scan_fails "missing docker archive" 3 "cannot open archive '/nonexistent-guard.tar': No such file" \
	docker-archive:/nonexistent-guard.tar
scan_fails "text file as an archive" 3 "cannot read archive '/etc/passwd': not a tar archive" \
	oci-archive:/etc/passwd
scan_fails "text file as a docker archive" 3 "cannot read archive '/etc/passwd': not a tar archive" \
	docker-archive:/etc/passwd
scan_fails "empty archive" 3 "cannot read archive 'empty.tar': not a tar archive" oci-archive:empty.tar
scan_fails "folder as an archive" 3 "cannot read archive 'empty-dir': it is a folder \(name an OCI image layout folder as oci:empty-dir\)" \
	oci-archive:empty-dir
scan_fails "archive without index.json" 3 "the archive has no index.json, so it is not an OCI archive" \
	oci-archive:other.tar
scan_fails "archive without manifest.json" 3 "the archive has no manifest.json, so it is not a docker save archive" \
	docker-archive:other.tar
scan_fails "missing ref in an archive" 3 "no image named 'nope' in 'oci-archive:oci.tar:nope': the names are x, y" \
	oci-archive:oci.tar:nope

scan_fails "missing platform in a layout" 3 \
	"no platform 'linux/arm64' in image 'oci:.*:x': it has linux/amd64 \(choose one of them with --platform\)" \
	--platform linux/arm64 "oci:$O:x"
scan_fails "missing platform in an archive" 3 "no platform 'linux/arm64' in image 'oci-archive:oci.tar:x': it has linux/amd64" \
	--platform linux/arm64 oci-archive:oci.tar:x

# A blob that the layout or archive lacks is broken input, not a registry
# failure.
MANIFEST=$(image_manifest_digest "$O" x)
tar -C "$O" --exclude "./blobs/sha256/${MANIFEST#sha256:}" -cf partial.tar .
scan_fails "archive without its manifest blob" 3 \
	"cannot find 'blobs/sha256/${MANIFEST#sha256:}' in archive 'partial.tar' \(the archive lacks this file" \
	oci-archive:partial.tar:x
rm "$(image_blob "$O" "$MANIFEST")"
scan_fails "layout without its manifest blob" 3 \
	"reading manifest 'sha256:[0-9a-f]{64}' of 'oci:.*:x': cannot open .*: No such file or directory \(the layout lacks this file" \
	"oci:$O:x"

done_testing
