#!/usr/bin/env bash
# Which files guard pin finds in a folder: Dockerfiles, compose files with
# their overrides, Kubernetes manifests; .git, node_modules and
# scan.skip-paths are skipped. --check needs no registry.
. "$(dirname "$0")/lib/tap.sh"
cd "$TMP" || exit 1
git init -q repo || exit 1
cd repo || exit 1

mkdir -p app deploy/k8s chart/templates .git/sub node_modules/pkg vendor/lib docs
printf 'FROM alpine:3.20\n' > app/Dockerfile
for name in compose.yaml compose.yml docker-compose.yaml docker-compose.yml \
	compose.override.yaml compose.override.yml docker-compose.override.yaml \
	docker-compose.override.yml; do
	printf 'services:\n  web:\n    image: nginx:1.27\n' > "app/$name"
done
cat > deploy/k8s/web.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
YAML
cat > deploy/k8s/multi.yml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  initContainers:
    - name: init
      image: busybox:1.36
YAML
# Not manifests: no apiVersion and kind, invalid YAML, a Helm template.
printf 'name: ci\non: push\njobs: {}\n' > deploy/ci.yaml
printf 'apiVersion: v1\nkind: [unclosed\n' > deploy/broken.yaml
cat > chart/templates/deployment.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image }}"
YAML
sed 's/"{{ .Values.image }}"/${IMAGE}/' chart/templates/deployment.yaml > deploy/envsubst.yaml
# Skipped folders.
printf 'FROM alpine:3.20\n' > .git/sub/Dockerfile
printf 'FROM alpine:3.20\n' > node_modules/pkg/Dockerfile
cp deploy/k8s/web.yaml node_modules/pkg/web.yaml
printf 'FROM alpine:3.20\n' > vendor/lib/Dockerfile
printf 'FROM alpine:3.20\n' > docs/Dockerfile
printf 'scan:\n  skip-paths: ["vendor/**", "docs"]\n' > .guard.yaml

"$GUARD" pin --check --format json . > out 2> err
is_rc $? 1 "--check of the folder finds unpinned references"
files=$(jq -r '.files[].path' out | sort)
expected=$(printf '%s\n' app/Dockerfile app/compose.override.yaml app/compose.override.yml \
	app/compose.yaml app/compose.yml app/docker-compose.override.yaml \
	app/docker-compose.override.yml app/docker-compose.yaml app/docker-compose.yml \
	deploy/k8s/multi.yml deploy/k8s/web.yaml | sort)
is "$files" "$expected" "the walk finds Dockerfiles, compose files, overrides and manifests"

for name in compose.override.yaml compose.override.yml docker-compose.override.yaml \
	docker-compose.override.yml; do
	like "$(jq -r '.files[].path' out)" "^app/$name\$" "the walk finds $name"
done
is "$(jq -r '.files[] | select(.path == "deploy/k8s/web.yaml") | .kind' out)" "kubernetes" \
	"a manifest is pinned as kubernetes"
is "$(jq -r '.references[] | select(.file == "deploy/k8s/multi.yml") | .text' out)" "busybox:1.36" \
	"the image of a later document is found"
unlike "$files" "\\.git/" "the walk skips .git"
unlike "$files" "node_modules" "the walk skips node_modules"
unlike "$files" "vendor/" "the walk skips a scan.skip-paths glob with **"
unlike "$files" "docs/" "the walk skips a scan.skip-paths folder name"
unlike "$files" "chart/" "the walk skips a Helm template"
unlike "$files" "ci.yaml|broken.yaml|envsubst.yaml" "the walk skips YAML that is no manifest"

"$GUARD" pin --check -v . > out 2> err
like "$(cat err)" "skipping 'chart/templates/deployment.yaml'" "-v names a skipped template"
like "$(cat err)" "skipping 'deploy/broken.yaml': not valid YAML" "-v names invalid YAML"
like "$(cat err)" "skipping 'deploy/envsubst.yaml': image '\\\$\{IMAGE\}' is a template" \
	"-v names an envsubst template"
like "$(cat out)" "deploy/k8s/web.yaml:10: nginx:1.27" "--check lists a manifest's image"

# A file named on the command line is pinned whatever scan.skip-paths says.
"$GUARD" pin --check docs/Dockerfile > out 2> err
is_rc $? 1 "a skipped path named on the command line is checked"

# A folder with nothing to pin warns.
mkdir empty
"$GUARD" pin --check empty > out 2> err
is_rc $? 0 "an empty folder: exit 0"
like "$(cat err)" "no Dockerfile, compose file or Kubernetes manifest found in 'empty'" \
	"an empty folder: a warning"

done_testing
