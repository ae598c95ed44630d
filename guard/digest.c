#include "digest.h"

#include <openssl/evp.h>
#include <string.h>

int guard_sha256_init(struct guard_sha256 *h, struct guard_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (!ctx)
		return guard_error_oom(err);
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return guard_error_set(err, GUARD_ERR_INTERNAL, "cannot start a SHA-256 digest");
	}
	h->ctx = ctx;
	return 0;
}

int guard_sha256_update(struct guard_sha256 *h, const void *data, size_t len,
			struct guard_error *err)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return guard_error_set(err, GUARD_ERR_INTERNAL, "SHA-256 update failed");
	return 0;
}

static void to_hex(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int guard_sha256_final(struct guard_sha256 *h, char out[GUARD_DIGEST_MAX],
		       struct guard_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(h->ctx, md, &n);

	guard_sha256_release(h);
	if (ok != 1 || n != 32)
		return guard_error_set(err, GUARD_ERR_INTERNAL, "SHA-256 final failed");
	memcpy(out, "sha256:", 7);
	to_hex(md, 32, out + 7);
	return 0;
}

void guard_sha256_release(struct guard_sha256 *h)
{
	if (h->ctx) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
	}
}

int guard_sha256_digest(const void *data, size_t len, char out[GUARD_DIGEST_MAX],
			struct guard_error *err)
{
	struct guard_sha256 h;

	if (guard_sha256_init(&h, err) < 0)
		return -1;
	if (guard_sha256_update(&h, data, len, err) < 0) {
		guard_sha256_release(&h);
		return -1;
	}
	return guard_sha256_final(&h, out, err);
}

int guard_sha256_hex(const void *data, size_t len, char out[65],
		     struct guard_error *err)
{
	char digest[GUARD_DIGEST_MAX];

	if (guard_sha256_digest(data, len, digest, err) < 0)
		return -1;
	memcpy(out, digest + 7, 65);
	return 0;
}

static bool lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

bool guard_digest_is_sha256(const char *digest)
{
	return strncmp(digest, "sha256:", 7) == 0 && lower_hex(digest + 7, 64);
}

bool guard_digest_valid(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) == 0)
		return lower_hex(digest + 7, 64);
	if (strncmp(digest, "sha384:", 7) == 0)
		return lower_hex(digest + 7, 96);
	if (strncmp(digest, "sha512:", 7) == 0)
		return lower_hex(digest + 7, 128);
	return false;
}
