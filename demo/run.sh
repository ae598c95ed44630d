#!/usr/bin/env bash
# make demo: guard's main jobs on a built-in example. Starts a registry on
# loopback with sample images under the names a real Dockerfile uses, then
# pins a sample Dockerfile and scans a sample project, its git history and a
# sample image. Everything it starts is stopped at exit; everything it writes
# is under one temporary folder, removed at exit unless KEEP=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GUARD=${GUARD:-$ROOT/build/guard}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/guard-demo.XXXXXX")
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2> /dev/null || true
	done
	wait 2> /dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then
		echo "demo files kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

step() {
	printf '\n\033[1m== %s\033[0m\n' "$1"
	shift
	printf '$ %s\n' "$*"
}

# run CMD...: shows guard's exit code without stopping the demo, because
# findings (exit 1) are the point of several steps.
run() {
	local rc=0
	"$@" || rc=$?
	printf '(exit code %d)\n' "$rc"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fake_token() {
	printf 'ghp_%s' "$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)"
}

# ---- the registry, standing in for Docker Hub
port=$(free_port)
mkdir -p "$WORK/registry"
cat > "$WORK/registry/config.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $WORK/registry/data}
http:
  addr: 127.0.0.1:$port
  secret: demo-only
YAML
docker-registry serve "$WORK/registry/config.yml" > "$WORK/registry/log.txt" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break
	sleep 0.1
done
registry=127.0.0.1:$port
mirror=(--registry-mirror "docker.io=http://$registry")

# ---- sample images: a busybox root file system under familiar names
oci=$WORK/oci
umoci init --layout "$oci"
umoci new --image "$oci:base"
umoci unpack --rootless --image "$oci:base" "$WORK/bundle" > /dev/null
mkdir -p "$WORK/bundle/rootfs/bin"
cp /bin/busybox "$WORK/bundle/rootfs/bin/busybox"
ln -s busybox "$WORK/bundle/rootfs/bin/sh"
umoci repack --image "$oci:base" --history.created_by "COPY busybox /bin/" "$WORK/bundle"
umoci config --image "$oci:base" --os linux --architecture amd64 --config.cmd /bin/sh
# One image per name, each with its own label, so that each gets its own digest.
for name in library/python:3.12-alpine library/node:22 docker/dockerfile:1; do
	tag=$(printf '%s' "$name" | tr '/:' '--')
	umoci config --image "$oci:base" --tag "$tag" --config.label "org.example.demo=$name" \
		--history.created_by "LABEL org.example.demo=$name"
	skopeo copy -q --dest-tls-verify=false "oci:$oci:$tag" "docker://$registry/$name"
done

# ---- the sample project, with a history
project=$WORK/project
cp -R "$ROOT/demo/project" "$project"
sed -i "s/@DATABASE_PASSWORD@/$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 20)/" \
	"$project/Dockerfile"
export GIT_AUTHOR_NAME="Demo User" GIT_AUTHOR_EMAIL=demo@example.org
export GIT_COMMITTER_NAME="Demo User" GIT_COMMITTER_EMAIL=demo@example.org
(
	cd "$project"
	git init -q -b main
	git add . && git commit -q -m "Start the demo service"
	printf 'GITHUB_TOKEN=%s\n' "$(fake_token)" > deploy.env
	git add deploy.env && git commit -q -m "Add deployment settings"
	git rm -q deploy.env && git commit -q -m "Remove deployment settings"
)
printf '# Left behind by a local test run.\nAPI_TOKEN=%s\n' "$(fake_token)" > "$project/.env"

cd "$project"
step "guard pin --diff shows what pinning would change; nothing is written" \
	guard pin --diff "${mirror[@]}" Dockerfile
run "$GUARD" pin --diff "${mirror[@]}" Dockerfile

step "guard pin rewrites the Dockerfile in place, changing no other byte" \
	guard pin "${mirror[@]}" Dockerfile
run "$GUARD" pin "${mirror[@]}" Dockerfile
git --no-pager diff --stat

step "guard pin --check, as CI runs it: offline, exit 0 when everything is pinned" \
	guard pin --check Dockerfile
run "$GUARD" pin --check Dockerfile

step "guard scan context finds the planted .env token and the ENV password" \
	guard scan context .
run "$GUARD" scan context .

step "guard scan git finds the token that a later commit deleted" \
	guard scan git
run "$GUARD" scan git

# ---- a sample image: a secret build argument and a deleted key file
image_ctx=$WORK/image
mkdir -p "$image_ctx"
cp /bin/busybox "$image_ctx/busybox"
ssh-keygen -q -t ed25519 -N '' -C demo -f "$image_ctx/id_ed25519"
cat > "$image_ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
COPY id_ed25519 /root/.ssh/id_ed25519
ARG NPM_TOKEN
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox rm /root/.ssh/id_ed25519 && echo built > /built"]
DOCKERFILE
buildah=(buildah --root "$WORK/buildah/root" --runroot "$WORK/buildah/run" --storage-driver vfs)
BUILDAH_ISOLATION=chroot "${buildah[@]}" build -q --layers \
	--build-arg "NPM_TOKEN=npm_$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 36)" \
	-t localhost/demo-app "$image_ctx" > /dev/null
"${buildah[@]}" push -q localhost/demo-app "oci-archive:$WORK/demo-app.tar:latest"

step "guard scan image finds the build argument in history and the key a later layer deleted" \
	guard scan image "oci-archive:demo-app.tar"
run "$GUARD" scan image "oci-archive:$WORK/demo-app.tar"

printf '\nDemo finished; the registry on %s is stopped now.\n' "$registry"
