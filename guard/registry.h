/* A client for the OCI distribution API (registries): tag-to-digest
 * resolution, manifest and blob fetches. Built on libcurl's multi interface
 * so that many look-ups run concurrently with bounded parallelism. */
#ifndef GUARD_REGISTRY_H
#define GUARD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "credentials.h"
#include "digest.h"
#include "error.h"
#include "ref.h"

struct guard_registry;

/* One tag-to-digest resolution. The caller fills ref (and optionally
 * platform); guard_registry_resolve_all fills the rest. */
struct guard_resolve {
	const struct guard_ref *ref;	/* borrowed */
	const char *platform;		/* "os/arch[/variant]" to pin that child, NULL for the tag's own digest */
	bool by_digest;			/* check that ref->digest exists instead of resolving the tag */

	int status;			/* 0 resolved, -1 failed (see error) */
	struct guard_error error;
	char digest[GUARD_DIGEST_MAX];	/* what the tag points to (or the platform child) */
	char media_type[128];
	bool is_index;			/* the tag points to an index or manifest list */
	bool from_index;		/* digest is the platform's entry of the tag's index */
};

/* Creates a client. Settings (mirrors, insecure hosts, CA files) are copied.
 * A client is not thread-safe: make one call at a time on it, or give each
 * thread its own client. */
int guard_registry_new(struct guard_registry **out, const struct guard_registry_config *config,
		       struct guard_error *err);
void guard_registry_free(struct guard_registry *registry);

/* Resolves every request concurrently, at most jobs in flight (0 = default).
 * Identical references are resolved once. Each registry host is pinged
 * first (GET /v2/, over HTTPS and plain HTTP at once for a loopback or
 * insecure host), which finds its authentication challenge and scheme, so
 * that each reference costs one manifest request plus one token request per
 * repository. Returns 0 when the batch ran, even
 * if single requests failed (each has its own status and error); -1 only for
 * failures that stop everything. */
int guard_registry_resolve_all(struct guard_registry *registry, struct guard_resolve *requests,
			       size_t count, unsigned jobs, struct guard_error *err);

/* Fetches a manifest (by tag or digest) into body, verified against its
 * digest when fetched by digest. media_type and digest may be NULL. */
int guard_registry_get_manifest(struct guard_registry *registry, const struct guard_ref *ref,
				const char *tag_or_digest, struct guard_buf *body,
				char media_type[128], char digest[GUARD_DIGEST_MAX],
				struct guard_error *err);

/* Receives a blob's bytes as they arrive. */
typedef int (*guard_blob_fn)(const void *data, size_t len, void *ctx, struct guard_error *err);

/* Streams a blob to fn, checking its size (when size >= 0) and digest while
 * it streams; a mismatch fails after the last byte with GUARD_ERR_NETWORK. */
int guard_registry_get_blob(struct guard_registry *registry, const struct guard_ref *ref,
			    const char *digest, int64_t size, guard_blob_fn fn, void *ctx,
			    struct guard_error *err);

/* Looks up the credential for a registry domain; the signature of
 * guard_credentials_lookup, which is the default. */
typedef int (*guard_credential_fn)(const char *domain, struct guard_credential *out, bool *found,
				   struct guard_error *err);

/* Replaces the credential lookup (for tests and for credentials given on the
 * command line). fn NULL restores the default. */
void guard_registry_set_credential_fn(struct guard_registry *registry, guard_credential_fn fn);

/* Receives the progress of a guard_registry_resolve_all batch: done of
 * total distinct resolutions have finished (resolved or failed). */
typedef void (*guard_resolve_progress_fn)(size_t done, size_t total, void *ctx);

/* Sets the function called after each resolution of a batch finishes; fn
 * NULL turns it off. */
void guard_registry_set_progress_fn(struct guard_registry *registry,
				    guard_resolve_progress_fn fn, void *ctx);

/* Reports whether platform ("os/arch[/variant]") names an image of os,
 * arch and variant (NULL or "" when the image names none). A platform
 * without a variant matches every variant, and arm64/v8 matches an arm64
 * image without a variant. */
bool guard_registry_platform_matches(const char *platform, const char *os, const char *arch,
				     const char *variant);

/* Number of HTTP requests made so far, for benchmarks and -v summaries. */
uint64_t guard_registry_request_count(const struct guard_registry *registry);

#endif
