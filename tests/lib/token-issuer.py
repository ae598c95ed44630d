#!/usr/bin/python3
"""Token issuer for guard's test registries (Python standard library only).

It implements the token endpoint that the distribution registry's token
authentication expects, and signs RS256 JWTs with the openssl command line.
The registry accepts a token only when its header carries the signing
certificate in x5c, chained to the registry's rootcertbundle.

Requests served on /token:
  GET  ?service=S&scope=SCOPE[&scope=...]       optional Basic authorization
  POST grant_type=refresh_token&refresh_token=T&service=S&scope=SCOPE&client_id=C
  POST grant_type=password&username=U&password=P&service=S&scope=SCOPE&client_id=C

Environment:
  ISSUER_KEY, ISSUER_CRT   signing key and certificate (PEM), required
  ISSUER_NAME              the iss claim (default "testbed-issuer")
  ISSUER_PORT_FILE         the bound port is written here (port 0 is used)
  ISSUER_USER, ISSUER_PASS when ISSUER_USER is set, a GET needs these Basic
                           credentials; otherwise anonymous GETs get a token
  ISSUER_REFRESH_TOKEN     the refresh token a POST must present (default
                           "testbed-refresh-token")
  ISSUER_EXPIRES_IN        expires_in of each token in seconds (default 300)
  ISSUER_FIELDS            "both" (default), "token" or "access_token": which
                           field names carry the token in the answer
  ISSUER_NO_POST           when set, POST answers 404 (clients then use GET)
  ISSUER_ONE_SCOPE         when set, a token grants only the first scope of
                           its request, as some registries do

Every request is logged on stderr as "issuer: METHOD PATH auth=KIND", where
KIND is basic, none or form; secrets are never logged.
"""
import base64
import json
import os
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

KEY = os.environ["ISSUER_KEY"]
CRT = os.environ["ISSUER_CRT"]
NAME = os.environ.get("ISSUER_NAME", "testbed-issuer")
USER = os.environ.get("ISSUER_USER") or None
PASSWORD = os.environ.get("ISSUER_PASS", "")
REFRESH = os.environ.get("ISSUER_REFRESH_TOKEN", "testbed-refresh-token")
EXPIRES_IN = int(os.environ.get("ISSUER_EXPIRES_IN", "300"))
FIELDS = os.environ.get("ISSUER_FIELDS", "both")
NO_POST = bool(os.environ.get("ISSUER_NO_POST"))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_cert_der():
    out = subprocess.run(["openssl", "x509", "-in", CRT, "-outform", "DER"],
                         check=True, capture_output=True)
    return base64.b64encode(out.stdout).decode()


CERT_DER_B64 = load_cert_der()


def make_jwt(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [CERT_DER_B64]}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode())
                     + "." + b64url(json.dumps(claims, separators=(",", ":")).encode()))
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY],
                               input=signing_input.encode(), check=True,
                               capture_output=True).stdout
    return signing_input + "." + b64url(signature)


def parse_scopes(scopes):
    """Convert "repository:a/b:pull,push" scope strings to access claims."""
    access = []
    for text in scopes:
        for scope in text.split(" "):
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            actions = [a for a in parts[-1].split(",") if a]
            access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                           "actions": actions})
    if os.environ.get("ISSUER_ONE_SCOPE"):
        return access[:1]
    return access


class TokenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def deny(self):
        self.reply(401, b'{"details":"invalid credentials"}',
                   [("WWW-Authenticate", 'Basic realm="testbed-issuer"'),
                    ("Content-Type", "application/json")])

    def basic_user(self):
        """Return (present, user), where user is None when the credentials are wrong."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False, None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return True, None
        if USER is None or (user == USER and password == PASSWORD):
            return True, user
        return True, None

    def issue(self, subject, service, scopes):
        now = int(time.time())
        claims = {"iss": NAME, "sub": subject, "aud": service,
                  "exp": now + EXPIRES_IN, "nbf": now - 10, "iat": now,
                  "jti": uuid.uuid4().hex, "access": parse_scopes(scopes)}
        token = make_jwt(claims)
        answer = {"expires_in": EXPIRES_IN,
                  "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if FIELDS in ("both", "token"):
            answer["token"] = token
        if FIELDS in ("both", "access_token"):
            answer["access_token"] = token
        body = json.dumps(answer).encode()
        self.reply(200, body, [("Content-Type", "application/json")])

    def do_GET(self):
        url = urlparse(self.path)
        present, user = self.basic_user()
        self.log_request_kind("GET", url.path, "basic" if present else "none")
        if url.path != "/token":
            self.reply(404)
            return
        if present and user is None:
            self.deny()
            return
        if USER is not None and not present:
            self.deny()
            return
        query = parse_qs(url.query)
        self.issue(user or "anonymous", query.get("service", [""])[0],
                   query.get("scope", []))

    def do_POST(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        self.log_request_kind("POST", url.path, "form")
        if url.path != "/token" or NO_POST:
            self.reply(404)
            return
        grant = form.get("grant_type", [""])[0]
        service = form.get("service", [""])[0]
        scopes = form.get("scope", [])
        if not form.get("client_id"):
            self.reply(400, b'{"error":"invalid_request","details":"client_id missing"}')
            return
        if grant == "refresh_token" and form.get("refresh_token", [""])[0] == REFRESH:
            self.issue(USER or "refresh-user", service, scopes)
            return
        if (grant == "password" and USER is not None
                and form.get("username", [""])[0] == USER
                and form.get("password", [""])[0] == PASSWORD):
            self.issue(USER, service, scopes)
            return
        self.reply(401, b'{"error":"invalid_grant"}', [("Content-Type", "application/json")])

    def log_request_kind(self, method, path, kind):
        sys.stderr.write("issuer: %s %s auth=%s\n" % (method, path, kind))
        sys.stderr.flush()

    def log_message(self, fmt, *args):
        pass


class IssuerServer(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5. While the accepting thread
    # waits for the GIL (other threads run openssl), a client that opens
    # more connections at once overflows it, and each dropped handshake
    # costs the client a 1 s TCP retransmission.
    request_queue_size = 128


def main():
    server = IssuerServer(("127.0.0.1", 0), TokenHandler)
    port_file = os.environ.get("ISSUER_PORT_FILE")
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
