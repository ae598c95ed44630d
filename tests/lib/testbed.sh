# Local registries and images for guard's tests. Source tests/lib/tap.sh
# first (it defines TMP and at_exit), then this file; it needs bash.
#
# Every service binds 127.0.0.1 on a free port, keeps its state under
# $TMP/testbed and is stopped by PID when the test exits.
#
#   testbed_plain            plain HTTP registry         -> TB_PLAIN=127.0.0.1:PORT
#   testbed_tls              TLS + htpasswd registry     -> TB_TLS, TB_CA, TB_CERTDIR
#                            (user testuser, password testpass)
#   testbed_token [anonymous] token-auth registry + issuer -> TB_TOKEN, TB_ISSUER,
#                            TB_ISSUER_LOG; the issuer needs testuser/testpass
#                            unless "anonymous" is given. Environment variables
#                            ISSUER_* set by the caller reach the issuer (see
#                            tests/lib/token-issuer.py).
#   testbed_image NAME       tiny OCI image tagged NAME  -> TB_OCI, TB_IMAGE=oci:DIR:NAME
#   testbed_index NAME       2-platform OCI index NAME   -> TB_IMAGE, TB_INDEX_DIGEST,
#                            (linux/amd64, linux/arm64/v8) TB_AMD64_DIGEST, TB_ARM64_DIGEST
#   testbed_push SRC DEST [skopeo args]  copy SRC (an image NAME in $TB_OCI, or
#                            any skopeo source) to docker://DEST with the TLS and
#                            credential flags DEST's registry needs
#   testbed_digest REGISTRY REPO TAG     prints the Docker-Content-Digest of a HEAD
#                            request sent with the four manifest media types
#   testbed_fault [TARGET]   misbehaving registry (tests/lib/fault-server.py)
#                            -> TB_FAULT=127.0.0.1:PORT, TB_FAULT_LOG; TARGET
#                            (host:port) is where its "redirect" scenario points;
#                            FAULT_* variables set by the caller reach the server
#   testbed_stop PID         stops one service started here
#
# Call the functions directly, not inside $(...), or their exports are lost.

TB_DIR=$TMP/testbed
TB_ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'
TB_USER=testuser
TB_PASS=testpass
TB_SEQ=0
mkdir -p "$TB_DIR/kind"

# Prints a port that was free a moment ago. A service that then fails to bind
# it is restarted on another port by testbed_start_registry.
testbed_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

testbed_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# testbed_wait_http PID URL: waits until URL returns any HTTP status.
# Fails when the process exits or after about 10 s.
testbed_wait_http() {
	local i code
	for i in $(seq 500); do
		kill -0 "$1" 2>/dev/null || return 1
		code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$2" 2>/dev/null)
		[ "$code" != "000" ] && [ -n "$code" ] && return 0
		sleep 0.02
	done
	return 1
}

# testbed_start_registry DIR SCHEME WRITER: WRITER PORT writes DIR/config.yml.
# Sets TB_LAST_ADDR to 127.0.0.1:PORT.
testbed_start_registry() {
	local dir=$1 scheme=$2 writer=$3 attempt port pid
	mkdir -p "$dir/data"
	for attempt in 1 2 3 4 5; do
		port=$(testbed_free_port)
		"$writer" "$port" > "$dir/config.yml"
		docker-registry serve "$dir/config.yml" > "$dir/log.txt" 2>&1 &
		pid=$!
		if testbed_wait_http "$pid" "$scheme://127.0.0.1:$port/v2/"; then
			echo "$pid" > "$dir/pid"
			at_exit "testbed_stop $pid"
			TB_LAST_ADDR=127.0.0.1:$port
			return 0
		fi
		testbed_stop "$pid"
	done
	echo "# testbed: registry in $dir did not start:" >&2
	sed 's/^/# /' "$dir/log.txt" >&2
	return 1
}

testbed_config_common() {
	cat <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $TB_CUR/data
  delete:
    enabled: true
EOF
}

testbed_write_plain() {
	testbed_config_common
	cat <<EOF
http:
  addr: 127.0.0.1:$1
  secret: testbed-secret
EOF
}

testbed_plain() {
	TB_SEQ=$((TB_SEQ + 1))
	TB_CUR=$TB_DIR/plain$TB_SEQ
	testbed_start_registry "$TB_CUR" http testbed_write_plain || return 1
	TB_PLAIN=$TB_LAST_ADDR
	echo plain > "$TB_DIR/kind/$TB_PLAIN"
	export TB_PLAIN
}

# Creates the self-signed server certificate once per test.
testbed_make_cert() {
	TB_CA=$TB_DIR/certs/registry.crt
	TB_CERTDIR=$TB_DIR/certdir
	[ -f "$TB_CA" ] && return 0
	mkdir -p "$TB_DIR/certs" "$TB_CERTDIR"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
		-keyout "$TB_DIR/certs/registry.key" -out "$TB_CA" -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null || return 1
	cp "$TB_CA" "$TB_CERTDIR/ca.crt"
}

testbed_write_tls() {
	testbed_config_common
	cat <<EOF
http:
  addr: 127.0.0.1:$1
  secret: testbed-secret
  tls:
    certificate: $TB_DIR/certs/registry.crt
    key: $TB_DIR/certs/registry.key
auth:
  htpasswd:
    realm: testbed-realm
    path: $TB_CUR/htpasswd
EOF
}

testbed_tls() {
	testbed_make_cert || return 1
	TB_SEQ=$((TB_SEQ + 1))
	TB_CUR=$TB_DIR/tls$TB_SEQ
	mkdir -p "$TB_CUR"
	htpasswd -Bbn "$TB_USER" "$TB_PASS" > "$TB_CUR/htpasswd" 2>/dev/null || return 1
	testbed_start_registry "$TB_CUR" https testbed_write_tls || return 1
	TB_TLS=$TB_LAST_ADDR
	echo tls > "$TB_DIR/kind/$TB_TLS"
	export TB_TLS TB_CA TB_CERTDIR
}

testbed_write_token() {
	testbed_config_common
	cat <<EOF
http:
  addr: 127.0.0.1:$1
  secret: testbed-secret
auth:
  token:
    realm: http://$TB_ISSUER/token
    service: testbed-registry
    issuer: testbed-issuer
    rootcertbundle: $TB_CUR/token.crt
EOF
}

# testbed_token [anonymous]
testbed_token() {
	local user=$TB_USER i pid
	[ "${1:-}" = anonymous ] && user=
	TB_SEQ=$((TB_SEQ + 1))
	TB_CUR=$TB_DIR/token$TB_SEQ
	mkdir -p "$TB_CUR"
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
		-keyout "$TB_CUR/token.key" -out "$TB_CUR/token.crt" \
		-subj "/CN=testbed-token-issuer" 2>/dev/null || return 1

	ISSUER_KEY=$TB_CUR/token.key ISSUER_CRT=$TB_CUR/token.crt ISSUER_NAME=testbed-issuer \
	ISSUER_PORT_FILE=$TB_CUR/issuer.port ISSUER_USER=$user ISSUER_PASS=$TB_PASS \
		/usr/bin/python3 "$ROOT/tests/lib/token-issuer.py" 2> "$TB_CUR/issuer.log" &
	pid=$!
	echo "$pid" > "$TB_CUR/issuer.pid"
	at_exit "testbed_stop $pid"
	for i in $(seq 500); do
		[ -s "$TB_CUR/issuer.port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	if [ ! -s "$TB_CUR/issuer.port" ]; then
		echo "# testbed: token issuer did not start:" >&2
		sed 's/^/# /' "$TB_CUR/issuer.log" >&2
		return 1
	fi
	TB_ISSUER=127.0.0.1:$(cat "$TB_CUR/issuer.port")
	TB_ISSUER_LOG=$TB_CUR/issuer.log

	testbed_start_registry "$TB_CUR" http testbed_write_token || return 1
	TB_TOKEN=$TB_LAST_ADDR
	echo token > "$TB_DIR/kind/$TB_TOKEN"
	echo "$TB_ISSUER" > "$TB_DIR/kind/$TB_TOKEN.issuer"
	export TB_TOKEN TB_ISSUER TB_ISSUER_LOG
}

# testbed_fault [REDIRECT_TARGET]
testbed_fault() {
	local i pid
	TB_SEQ=$((TB_SEQ + 1))
	TB_CUR=$TB_DIR/fault$TB_SEQ
	mkdir -p "$TB_CUR"
	FAULT_PORT_FILE=$TB_CUR/port FAULT_REDIRECT_TARGET=${1:-} \
		/usr/bin/python3 "$ROOT/tests/lib/fault-server.py" 2> "$TB_CUR/log.txt" &
	pid=$!
	echo "$pid" > "$TB_CUR/pid"
	at_exit "testbed_stop $pid"
	for i in $(seq 500); do
		[ -s "$TB_CUR/port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	if [ ! -s "$TB_CUR/port" ]; then
		echo "# testbed: fault server did not start:" >&2
		sed 's/^/# /' "$TB_CUR/log.txt" >&2
		return 1
	fi
	TB_FAULT=127.0.0.1:$(cat "$TB_CUR/port")
	TB_FAULT_LOG=$TB_CUR/log.txt
	echo fault > "$TB_DIR/kind/$TB_FAULT"
	export TB_FAULT TB_FAULT_LOG
}

# Builds the shared layer once: busybox-static as /bin/busybox and /bin/sh.
testbed_base_image() {
	TB_OCI=$TB_DIR/oci
	export TB_OCI
	[ -f "$TB_OCI/index.json" ] && return 0
	umoci init --layout "$TB_OCI" || return 1
	umoci new --image "$TB_OCI:testbed-base" || return 1
	umoci unpack --rootless --image "$TB_OCI:testbed-base" "$TB_DIR/bundle" > /dev/null || return 1
	mkdir -p "$TB_DIR/bundle/rootfs/bin"
	cp /bin/busybox "$TB_DIR/bundle/rootfs/bin/busybox"
	ln -s busybox "$TB_DIR/bundle/rootfs/bin/sh"
	umoci repack --image "$TB_OCI:testbed-base" --history.created_by "COPY busybox /bin/" \
		"$TB_DIR/bundle" || return 1
	rm -rf "$TB_DIR/bundle"
}

# testbed_manifest_digest TAG: prints the digest TAG has in $TB_OCI.
testbed_manifest_digest() {
	jq -r --arg t "$1" \
		'.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$TB_OCI/index.json"
}

# testbed_image NAME [ARCH]: tags a linux image NAME whose config carries a
# label with NAME, so that every NAME has its own manifest digest.
testbed_image() {
	local name=$1 arch=${2:-amd64}
	testbed_base_image || return 1
	umoci config --image "$TB_OCI:testbed-base" --tag "$name" --os linux \
		--architecture "$arch" --config.label "testbed.name=$name" \
		--config.cmd /bin/sh --no-history || return 1
	TB_IMAGE=oci:$TB_OCI:$name
	export TB_IMAGE
}

# testbed_index NAME: an OCI index NAME with linux/amd64 and linux/arm64/v8
# children (the arm64 child is relabelled amd64 content).
testbed_index() {
	local name=$1 amd arm file digest size
	testbed_image "$name-amd64" amd64 || return 1
	testbed_image "$name-arm64" arm64 || return 1
	amd=$(jq -c --arg t "$name-amd64" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)' "$TB_OCI/index.json")
	arm=$(jq -c --arg t "$name-arm64" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)' "$TB_OCI/index.json")
	file=$TB_DIR/index-$name.json
	jq -nc --argjson a "$amd" --argjson b "$arm" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [
			($a | del(.annotations) | .platform = {architecture: "amd64", os: "linux"}),
			($b | del(.annotations) | .platform = {architecture: "arm64", os: "linux", variant: "v8"})]}' \
		> "$file" || return 1
	digest=$(sha256sum "$file" | cut -d' ' -f1)
	size=$(stat -c %s "$file")
	cp "$file" "$TB_OCI/blobs/sha256/$digest"
	jq --arg d "sha256:$digest" --argjson s "$size" --arg t "$name" \
		'.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d,
		size: $s, annotations: {"org.opencontainers.image.ref.name": $t}}]' \
		"$TB_OCI/index.json" > "$TB_OCI/index.json.new" && mv "$TB_OCI/index.json.new" "$TB_OCI/index.json"
	TB_INDEX_DIGEST=sha256:$digest
	TB_AMD64_DIGEST=$(jq -r '.manifests[0].digest' "$file")
	TB_ARM64_DIGEST=$(jq -r '.manifests[1].digest' "$file")
	TB_IMAGE=oci:$TB_OCI:$name
	export TB_IMAGE TB_INDEX_DIGEST TB_AMD64_DIGEST TB_ARM64_DIGEST
}

# Prints the kind (plain, tls, token, fault) of the registry at host:port.
testbed_kind() {
	cat "$TB_DIR/kind/$1" 2>/dev/null || echo unknown
}

# testbed_push SRC DEST [skopeo args]: SRC is an image NAME in $TB_OCI or a
# skopeo source ("oci:DIR:TAG", ...); DEST is host:port/repo:tag.
testbed_push() {
	local src=$1 dest=$2 host
	shift 2
	case $src in
	*:*) ;;
	*) src=oci:$TB_OCI:$src ;;
	esac
	host=${dest%%/*}
	set -- --all "$@"
	case $(testbed_kind "$host") in
	tls) set -- "$@" --dest-cert-dir "$TB_CERTDIR" --dest-creds "$TB_USER:$TB_PASS" ;;
	token) set -- "$@" --dest-tls-verify=false --dest-creds "$TB_USER:$TB_PASS" ;;
	*) set -- "$@" --dest-tls-verify=false ;;
	esac
	skopeo copy -q "$@" "$src" "docker://$dest" > "$TB_DIR/skopeo.log" 2>&1 || {
		echo "# testbed: skopeo copy $src docker://$dest failed:" >&2
		sed 's/^/# /' "$TB_DIR/skopeo.log" >&2
		return 1
	}
}

# testbed_digest REGISTRY REPO TAG
testbed_digest() {
	local registry=$1 repo=$2 tag=$3 token
	set -- -sI -H "Accept: $TB_ACCEPT"
	case $(testbed_kind "$registry") in
	tls)
		set -- "$@" --cacert "$TB_CA" -u "$TB_USER:$TB_PASS"
		set -- "$@" "https://$registry/v2/$repo/manifests/$tag"
		;;
	token)
		token=$(curl -s -u "$TB_USER:$TB_PASS" \
			"http://$(cat "$TB_DIR/kind/$registry.issuer")/token?service=testbed-registry&scope=repository:$repo:pull" | jq -r .token)
		set -- "$@" -H "Authorization: Bearer $token" "http://$registry/v2/$repo/manifests/$tag"
		;;
	*)
		set -- "$@" "http://$registry/v2/$repo/manifests/$tag"
		;;
	esac
	curl "$@" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}
