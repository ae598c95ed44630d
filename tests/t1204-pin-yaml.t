#!/usr/bin/env bash
# guard pin on compose files and Kubernetes manifests: only the image
# scalars change; quoting, comments, indentation and key order stay.
. "$(dirname "$0")/lib/tap.sh"
. "$ROOT/tests/lib/testbed.sh"

testbed_plain || { echo "Bail out! registry did not start"; exit 1; }
testbed_image web && testbed_push web "$TB_PLAIN/library/nginx:1.27" || exit 1
testbed_image tool && testbed_push tool "$TB_PLAIN/library/busybox:1.36" || exit 1
NGINX=$(testbed_digest "$TB_PLAIN" library/nginx 1.27)
BUSYBOX=$(testbed_digest "$TB_PLAIN" library/busybox 1.36)
MIRROR=(--registry-mirror "docker.io=http://$TB_PLAIN")
cd "$TMP" || exit 1

cat > compose.yaml <<'YAML'
# the app
x-tools: &tools
  image: "busybox:1.36"   # shared
services:
  web:
    ports: ["80:80"]
    image: nginx:1.27
  job:
    <<: *tools
  app:
    build: .
    image: myapp:dev
  tpl:
    image: "nginx:${TAG:-1.27}"
YAML
"$GUARD" pin "${MIRROR[@]}" compose.yaml > out 2> err
is_rc $? 0 "compose: exit 0"
cat > want <<YAML
# the app
x-tools: &tools
  image: "busybox:1.36@$BUSYBOX"   # shared
services:
  web:
    ports: ["80:80"]
    image: nginx:1.27@$NGINX
  job:
    <<: *tools
  app:
    build: .
    image: myapp:dev
  tpl:
    image: "nginx:\${TAG:-1.27}"
YAML
cmp -s compose.yaml want
ok $? "compose: only the image scalars changed"
like "$(cat out)" "skipped myapp:dev: names the image" "compose: built image skipped"
like "$(cat out)" "skipped nginx:.*interpolation" "compose: interpolated image skipped"

cat > deploy.yml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: 'busybox:1.36'
      containers:
        - image: nginx:1.27   # web
          name: web
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: c, image: "busybox:1.36"}
YAML
sed -e "s/'busybox:1.36'/'busybox:1.36@$BUSYBOX'/" -e "s/nginx:1.27 /nginx:1.27@$NGINX /" \
	-e "s/\"busybox:1.36\"/\"busybox:1.36@$BUSYBOX\"/" deploy.yml > want
"$GUARD" pin --check deploy.yml > out 2> err
is_rc $? 1 "kubernetes --check: exit 1"
is "$(cat out)" "$(printf 'deploy.yml:9: busybox:1.36\ndeploy.yml:11: nginx:1.27\ndeploy.yml:24: busybox:1.36')" \
	"kubernetes --check lists every container image"
"$GUARD" pin --diff "${MIRROR[@]}" deploy.yml > out 2> err
is_rc $? 1 "kubernetes --diff: exit 1"
patch -s -p1 -o patched deploy.yml < out
cmp -s patched want
ok $? "kubernetes --diff applies to the pinned file"
"$GUARD" pin "${MIRROR[@]}" deploy.yml > out 2> err
is_rc $? 0 "kubernetes: exit 0"
cmp -s deploy.yml want
ok $? "kubernetes: only the image scalars changed, in every document"
"$GUARD" pin --check deploy.yml compose.yaml > out 2> err
is_rc $? 0 "pinned YAML files pass --check"

# Folders: compose files by name, Kubernetes manifests by content; other
# YAML files are not picked up there.
mkdir -p tree/sub tree/.git
printf 'services:\n  a:\n    image: nginx:1.27\n' > tree/sub/docker-compose.yml
printf 'FROM nginx:1.27\n' > tree/.git/Dockerfile
cp deploy.yml tree/other.yaml
sed -i "s/@sha256:[0-9a-f]*//" tree/other.yaml
printf 'services:\n  a:\n    image: nginx:1.27\n' > tree/sub/not-compose.yaml
"$GUARD" pin --check tree > out 2> err
is_rc $? 1 "folder --check exits 1"
is "$(cat out)" "$(printf '%s\n' tree/other.yaml:9:\ busybox:1.36 tree/other.yaml:11:\ nginx:1.27 \
	tree/other.yaml:24:\ busybox:1.36 tree/sub/docker-compose.yml:3:\ nginx:1.27)" \
	"folder: compose and manifest found, .git and other YAML skipped"

printf 'services:\n  web:\n    image: "nginx\n' > broken.yaml
"$GUARD" pin --check broken.yaml > out 2> err
is_rc $? 3 "invalid YAML exits 3"
like "$(cat err)" "broken.yaml:[0-9]+: " "invalid YAML reported as FILE:LINE"

done_testing
