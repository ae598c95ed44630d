#!/usr/bin/python3
"""A misbehaving registry for guard's tests (Python standard library only).

The first path component after /v2/ picks the behaviour; the manifest it
serves is a fixed OCI manifest. Paths: /v2/<scenario>/<name>/manifests/<ref>.

  ok              200 with a correct Docker-Content-Digest
  retry429        first request 429 with Retry-After: 1, then like ok; tag 2
                  always gets 429
  retry503        first two requests 503 with a plain-text body, then like ok
  always503       503 with an HTML body, every time
  stall           sleeps FAULT_STALL_SECONDS (default 30) before responding
  garbage         200 with a body that is not JSON and no digest header
  wrongdigest     HEAD without a digest; GET with a wrong Docker-Content-Digest
  nodigest        HEAD without Docker-Content-Digest, GET like ok
  schema1         a schema 1 manifest (application/vnd.docker...v1+prettyjws)
  html404         404 with an HTML body
  error400        400 with a registry JSON error body
  ratelimit       like ok, with RateLimit-Remaining: 3;w=21600
  basic           401 Basic challenge unless Basic testuser:testpass is sent
  redirect        Basic like "basic", then 307 to FAULT_REDIRECT_TARGET (host:port)
  redirectsame    Basic like "basic", then 307 to /v2/ok/... on this server
  bearer          401 with a Bearer challenge with bare values, no service and
                  no scope; the realm is /token on this server
  multichallenge  401 with "Basic realm=..., Bearer realm=...,service=...,scope=..."
  huge            200 with a 5 MiB body and no digest header
  index           an OCI index whose children are an attestation (unknown/unknown),
                  linux/arm64 without a variant and linux/amd64
  slow            like ok after 0.2 s; logs "inflight max=N", the most requests
                  it has served at the same time
  rotate          Bearer like "bearer", but only the token of the second
                  token request for a rotate scope is accepted; other tokens
                  get 401 with error="invalid_token"
  reject          401 with a Bearer challenge and error="insufficient_scope",
                  whatever token is sent
  anything else   served like ok (the redirect target uses this)

/token answers {"access_token": "fault-token", "expires_in": 120} and logs its
query string; for a scope that names the rotate scenario the token is
"rotate-token-N", N counting those token requests. Every request is logged on
stderr as "METHOD PATH auth=SCHEME|none", never with the credential itself.

GET /v2/ answers 404, or with FAULT_PING_CHALLENGE=1 a 401 with a Bearer
challenge whose realm is /token on this server.

Environment: FAULT_PORT_FILE (the bound port is written there, port 0 is used),
FAULT_REDIRECT_TARGET, FAULT_STALL_SECONDS, FAULT_PING_CHALLENGE.
"""
import base64
import hashlib
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST = (b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
            b'"config":{"mediaType":"application/vnd.oci.image.config.v1+json",'
            b'"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",'
            b'"size":2},"layers":[]}')
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
         '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":1,'
         '"platform":{"architecture":"unknown","os":"unknown"},'
         '"annotations":{"vnd.docker.reference.type":"attestation-manifest"}},'
         '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":1,'
         '"platform":{"architecture":"arm64","os":"linux"}},'
         '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":1,'
         '"platform":{"architecture":"amd64","os":"linux"}}]}'
         % ("a" * 64, "b" * 64, "c" * 64)).encode()
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1 = b'{"schemaVersion":1,"name":"x","tag":"1","architecture":"amd64","fsLayers":[]}'
BASIC_OK = "Basic " + base64.b64encode(b"testuser:testpass").decode()
STALL = float(os.environ.get("FAULT_STALL_SECONDS", "30"))

counts = {}
counts_lock = threading.Lock()
inflight = {"now": 0, "max": 0}


def count(key):
    with counts_lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def manifest(self, digest=DIGEST, content_type=OCI_MANIFEST, body=MANIFEST, extra=()):
        headers = [("Content-Type", content_type)] + list(extra)
        if digest:
            headers.append(("Docker-Content-Digest", digest))
        self.reply(200, body, headers)

    def log_line(self):
        auth = self.headers.get("Authorization", "")
        scheme = auth.split(" ", 1)[0] if auth else "none"
        sys.stderr.write("%s %s auth=%s\n" % (self.command, self.path, scheme))
        sys.stderr.flush()

    def needs_basic(self):
        if self.headers.get("Authorization", "") == BASIC_OK:
            return False
        self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                   [("WWW-Authenticate", 'Basic realm="fault"'),
                    ("Content-Type", "application/json")])
        return True

    def needs_bearer(self, challenge):
        if self.headers.get("Authorization", "") == "Bearer fault-token":
            return False
        self.reply(401, b"", [("WWW-Authenticate", challenge)])
        return True

    def token(self):
        query = self.path.partition("?")[2]
        sys.stderr.write("token query=%s\n" % query)
        sys.stderr.flush()
        token = "fault-token"
        if "%3Arotate%2F" in query or ":rotate/" in query:
            token = "rotate-token-%d" % count("rotate-token")
        self.reply(200, ('{"access_token":"%s","expires_in":120}' % token).encode(),
                   [("Content-Type", "application/json")])

    def handle_manifest(self, scenario, rest):
        host = self.headers.get("Host", "")
        if scenario == "retry429" and (count(scenario) == 1 or rest.endswith(":2")
                                       or rest.endswith("/2")):
            self.reply(429, b"Too Many Requests (HAP429).\n", [("Retry-After", "1")])
        elif scenario == "retry503" and count(scenario) <= 2:
            self.reply(503, b"Service Unavailable\n", [("Content-Type", "text/plain")])
        elif scenario == "always503":
            self.reply(503, b"<html><body><h1>503</h1>\n\tback\x01soon</body></html>",
                       [("Content-Type", "text/html")])
        elif scenario == "stall":
            time.sleep(STALL)
            self.manifest()
        elif scenario == "garbage":
            self.manifest(digest=None, body=b"\x00\xffnot json at all{{{")
        elif scenario == "wrongdigest":
            wrong = "sha256:" + "0" * 64
            self.manifest(digest=None if self.command == "HEAD" else wrong)
        elif scenario == "nodigest":
            self.manifest(digest=None if self.command == "HEAD" else DIGEST)
        elif scenario == "schema1":
            self.manifest(digest=None, body=SCHEMA1,
                          content_type="application/vnd.docker.distribution.manifest.v1+prettyjws")
        elif scenario == "html404":
            self.reply(404, b"<html>no such page</html>", [("Content-Type", "text/html")])
        elif scenario == "error400":
            self.reply(400, b'{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}',
                       [("Content-Type", "application/json")])
        elif scenario == "slow":
            with counts_lock:
                inflight["now"] += 1
                inflight["max"] = max(inflight["max"], inflight["now"])
            time.sleep(0.2)
            with counts_lock:
                inflight["now"] -= 1
                sys.stderr.write("inflight max=%d\n" % inflight["max"])
                sys.stderr.flush()
            self.manifest()
        elif scenario == "huge":
            self.manifest(digest=None, body=b" " * (5 << 20))
        elif scenario == "index":
            self.manifest(digest="sha256:" + hashlib.sha256(INDEX).hexdigest(),
                          content_type=OCI_INDEX, body=INDEX)
        elif scenario == "ratelimit":
            self.manifest(extra=[("RateLimit-Remaining", "3;w=21600")])
        elif scenario == "basic":
            if not self.needs_basic():
                self.manifest()
        elif scenario in ("redirect", "redirectsame"):
            if self.needs_basic():
                return
            target = os.environ.get("FAULT_REDIRECT_TARGET", host)
            if scenario == "redirectsame":
                target = host
            self.reply(307, b"", [("Location", "http://%s/v2/ok/%s" % (target, rest))])
        elif scenario == "bearer":
            if not self.needs_bearer("Bearer realm=http://%s/token" % host):
                self.manifest()
        elif scenario == "rotate":
            if self.headers.get("Authorization", "") == "Bearer rotate-token-2":
                self.manifest()
            else:
                self.reply(401, b"", [("WWW-Authenticate",
                                       'Bearer realm="http://%s/token",error="invalid_token"'
                                       % host)])
        elif scenario == "reject":
            self.reply(401, b"", [("WWW-Authenticate",
                                   'Bearer realm="http://%s/token",scope="repository:reject/x:pull",'
                                   'error="insufficient_scope"' % host)])
        elif scenario == "multichallenge":
            challenge = ('Basic realm="fault", Bearer realm="http://%s/token",service=fault,'
                         'scope="repository:multichallenge/x:pull,push"' % host)
            if not self.needs_bearer(challenge):
                self.manifest()
        else:
            self.manifest()

    def route(self):
        self.log_line()
        path = self.path.partition("?")[0]
        if path == "/token":
            self.token()
            return
        parts = path.split("/")
        if path == "/v2/" and os.environ.get("FAULT_PING_CHALLENGE") == "1":
            self.reply(401, b"", [("WWW-Authenticate",
                                   'Bearer realm="http://%s/token"' % self.headers.get("Host", ""))])
            return
        if len(parts) < 4 or parts[1] != "v2":
            self.reply(404)
            return
        self.handle_manifest(parts[2], "/".join(parts[3:]))

    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def log_message(self, fmt, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
    server.daemon_threads = True
    port_file = os.environ.get("FAULT_PORT_FILE")
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
