/* Content digests ("sha256:<64 lowercase hex>"), computed with libcrypto. */
#ifndef GUARD_DIGEST_H
#define GUARD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* "sha256:" + 64 hex + NUL */
#define GUARD_DIGEST_MAX 72

/* An incremental SHA-256, for bodies and blobs that stream in. */
struct guard_sha256 {
	void *ctx;	/* EVP_MD_CTX */
};

int guard_sha256_init(struct guard_sha256 *h, struct guard_error *err);
int guard_sha256_update(struct guard_sha256 *h, const void *data, size_t len,
			struct guard_error *err);
/* Writes "sha256:<hex>" into out and releases the context. */
int guard_sha256_final(struct guard_sha256 *h, char out[GUARD_DIGEST_MAX],
		       struct guard_error *err);
/* Releases a context that will not be finished (safe after final). */
void guard_sha256_release(struct guard_sha256 *h);

/* One-shot "sha256:<hex>" of data. */
int guard_sha256_digest(const void *data, size_t len, char out[GUARD_DIGEST_MAX],
			struct guard_error *err);

/* One-shot lowercase hex (64 characters) of the SHA-256 of data. */
int guard_sha256_hex(const void *data, size_t len, char out[65],
		     struct guard_error *err);

/* True for "sha256:" followed by exactly 64 lowercase hex digits. Other
 * algorithms (sha384, sha512) are accepted by guard_digest_valid. */
bool guard_digest_is_sha256(const char *digest);
bool guard_digest_valid(const char *digest);

#endif
