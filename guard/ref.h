/* Image references: the grammar and Docker normalisation of the
 * distribution project (distribution/reference). */
#ifndef GUARD_REF_H
#define GUARD_REF_H

#include <stdbool.h>

#include "error.h"

/* A parsed, normalised reference. "python:3.12" gives domain "docker.io",
 * path "library/python", tag "3.12", digest NULL. All strings are owned. */
struct guard_ref {
	char *domain;	/* "docker.io", "ghcr.io", "127.0.0.1:5000", "[::1]:5000" */
	char *path;	/* repository path, lowercase */
	char *tag;	/* NULL when the text has none */
	char *digest;	/* "sha256:<hex>", NULL when the text has none */
};

/* Parses text as written in a Dockerfile or compose file. Errors are
 * GUARD_ERR_PARSE with a message saying what is wrong ("repository name
 * must be lowercase", "invalid tag", ...). */
int guard_ref_parse(struct guard_ref *out, const char *text, struct guard_error *err);

void guard_ref_release(struct guard_ref *ref);

/* Returns "domain/path[:tag][@digest]" (tag "latest" added when there is no
 * tag and no digest, if add_latest). The caller frees it; NULL on OOM. */
char *guard_ref_canonical(const struct guard_ref *ref, bool add_latest);

/* Returns "domain/path" (the repository), caller frees. */
char *guard_ref_repository(const struct guard_ref *ref);

/* The host to contact for the domain: docker.io is served by
 * registry-1.docker.io. Borrowed or static. */
const char *guard_ref_api_host(const struct guard_ref *ref);

/* True when host (with optional port) is loopback: localhost, 127.0.0.0/8 or
 * [::1]. */
bool guard_host_is_loopback(const char *host);

#endif
