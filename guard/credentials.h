/* Registry credentials as docker resolves them: credHelpers, credsStore and
 * auths of config.json, DOCKER_AUTH_CONFIG, and the auth files podman and
 * skopeo write. */
#ifndef GUARD_CREDENTIALS_H
#define GUARD_CREDENTIALS_H

#include <stdbool.h>

#include "error.h"

/* Exactly one kind is set: username and password (Basic, or Basic on the
 * token request), identity_token (OAuth2 refresh token), or registry_token
 * (a bearer token used as it is). Strings are owned and wiped on release. */
struct guard_credential {
	char *username;
	char *password;
	char *identity_token;
	char *registry_token;
	char *source;		/* where it came from, for messages: "config.json auths", ... */
};

/* Looks up the credential for a registry domain as written in a normalised
 * reference ("docker.io" uses the key https://index.docker.io/v1/). Sets
 * *found. A missing or failing credential helper is a warning naming the
 * helper, then *found = false; its "credentials not found" response is silent.
 * Fails only on an unreadable or malformed config file. */
int guard_credentials_lookup(const char *domain, struct guard_credential *out, bool *found,
			     struct guard_error *err);

void guard_credential_release(struct guard_credential *credential);

/* The key docker uses for a registry domain in config.json: Docker Hub
 * ("docker.io", "index.docker.io") is https://index.docker.io/v1/, any other
 * domain is itself. The result is borrowed from domain or static. */
const char *guard_credentials_server_key(const char *domain);

#endif
