#!/usr/bin/env bash
# Registry client against a plain-HTTP registry on loopback: tags, indexes,
# platforms, digests, mirrors, missing tags and a stopped registry.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"
PROBE=${GUARD_TOOLS_DIR:-$ROOT/build/tools}/registry-probe
export GUARD_HTTP_RETRY_BASE_MS=20 GUARD_HTTP_ATTEMPTS=2

testbed_plain || exit 1
R=$TB_PLAIN
testbed_image one
one=$(testbed_manifest_digest one)
testbed_index multi
testbed_push one "$R/test/one:1.0"
testbed_push one "$R/test/one:1.0-v2s2" --format v2s2
testbed_push multi "$R/test/multi:1"
testbed_push multi "$R/test/multi:v2s2" --format v2s2

out=$("$PROBE" "$R/test/one:1.0")
is_rc $? 0 "tag resolves"
like "$out" "digest=$one " "tag digest is the pushed manifest"
like "$out" "media_type=application/vnd.oci.image.manifest.v1\+json index=0" "OCI manifest type"

v2s2=$(testbed_digest "$R" test/one 1.0-v2s2)
out=$("$PROBE" "$R/test/one:1.0-v2s2")
like "$out" "digest=$v2s2 media_type=application/vnd.docker.distribution.manifest.v2\+json" \
	"Docker v2 manifest resolves"

out=$("$PROBE" "$R/test/multi:1")
like "$out" "digest=$TB_INDEX_DIGEST media_type=application/vnd.oci.image.index.v1\+json index=1" \
	"index tag pins the index digest"

out=$("$PROBE" --platform linux/arm64 "$R/test/multi:1")
like "$out" "digest=$TB_ARM64_DIGEST .*index=0" "linux/arm64 picks the arm64/v8 child"
out=$("$PROBE" --platform linux/arm64/v8 "$R/test/multi:1")
like "$out" "digest=$TB_ARM64_DIGEST " "linux/arm64/v8 picks the same child"
out=$("$PROBE" --platform linux/amd64 "$R/test/multi:1")
like "$out" "digest=$TB_AMD64_DIGEST " "linux/amd64 picks the amd64 child"
out=$("$PROBE" --platform linux/amd64 "$R/test/one:1.0")
like "$out" "digest=$one " "platform on a single manifest returns it"
out=$("$PROBE" --platform linux/s390x "$R/test/multi:1")
is_rc $? 4 "missing platform exits 4"
like "$out" "error=not-found no linux/s390x image in the index" "missing platform is named"

list=$(testbed_digest "$R" test/multi v2s2)
out=$("$PROBE" "$R/test/multi:v2s2")
like "$out" "digest=$list media_type=application/vnd.docker.distribution.manifest.list.v2\+json index=1" \
	"Docker manifest list resolves"
out=$("$PROBE" --platform linux/arm64 "$R/test/multi:v2s2")
like "$out" "digest=sha256:[0-9a-f]{64} .*manifest.v2\+json index=0" "platform child of a manifest list"

out=$("$PROBE" "$R/test/one:3.99")
is_rc $? 4 "missing tag exits 4"
like "$out" "error=not-found tag '3.99' not found in $R/test/one" "missing tag names tag and repository"
out=$("$PROBE" "$R/test/nothere:1")
like "$out" "error=not-found tag '1' not found in $R/test/nothere" "missing repository is not found"

out=$("$PROBE" --by-digest "$R/test/one@$one")
is_rc $? 0 "existing digest passes the check"
like "$out" "digest=$one " "digest check returns the digest"
out=$("$PROBE" --by-digest "$R/test/one:1.0@sha256:$(printf '%064d' 0)")
like "$out" "error=not-found digest 'sha256:0{64}' not found" "unknown digest is not found"

single=$("$PROBE" --count "$R/test/one:1.0" | grep requests=)
out=$("$PROBE" --count "$R/test/one:1.0" "$R/test/one:1.0" "$R/test/one:1.0")
is "$(printf '%s\n' "$out" | grep requests=)" "$single" "identical references are resolved once"
like "$(printf '%s\n' "$out" | grep -c "digest=$one")" '^3$' "every duplicate gets the result"

refs=
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do refs="$refs $R/test/one:1.0 $R/test/multi:1 $R/test/none:$i"; done
out=$("$PROBE" --jobs 3 $refs)
like "$(printf '%s\n' "$out" | grep -c 'digest=')" '^24$' "batch with 3 jobs resolves all found"
like "$(printf '%s\n' "$out" | grep -c 'error=not-found')" '^12$' "batch reports each missing tag"

out=$("$PROBE" --manifest "$R/test/multi:1")
like "$out" "manifest digest=$TB_INDEX_DIGEST .*size=$(stat -c %s "$TB_DIR/index-multi.json")" \
	"manifest fetch returns the index bytes"
out=$("$PROBE" --manifest "$R/test/one@$one")
like "$out" "manifest digest=$one " "manifest fetch by digest is verified"

layer=$(jq -r '.layers[0].digest' "$TB_OCI/blobs/sha256/${one#sha256:}")
size=$(jq -r '.layers[0].size' "$TB_OCI/blobs/sha256/${one#sha256:}")
out=$("$PROBE" --blob "$layer" "$R/test/one:1.0")
like "$out" "blob size=$size" "blob streams with its size"
out=$("$PROBE" --blob "sha256:$(printf '%064d' 0)" "$R/test/one:1.0")
like "$out" "blob error=not-found" "missing blob is not found"

out=$("$PROBE" --mirror "mirror.example=http://$R" "mirror.example/test/one:1.0")
like "$out" "digest=$one " "mirror serves a registry's references"
out=$("$PROBE" --mirror "docker.io=http://$R/" "test/one:1.0")
like "$out" "digest=$one " "docker.io mirror serves Docker Hub names"
out=$("$PROBE" --mirror "mirror.example=$R" "mirror.example/test/one:1.0")
like "$out" "error=usage mirror URL '$R' for 'mirror.example' needs a scheme" "mirror without scheme"

out=$("$PROBE" "localhost:${R#*:}/test/one:1.0")
like "$out" "digest=$one " "localhost name reaches the loopback registry"

testbed_stop "$(cat "$TB_DIR"/plain*/pid)"
out=$("$PROBE" "$R/test/one:1.0")
is_rc $? 4 "stopped registry exits 4"
like "$out" "error=network cannot reach '$R'" "stopped registry names the host"

done_testing
