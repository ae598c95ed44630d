/* Registry authentication: WWW-Authenticate challenges, the bearer token
 * flow of the distribution token specification, and a token cache. */
#ifndef GUARD_AUTH_H
#define GUARD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credentials.h"
#include "error.h"

enum guard_auth_scheme {
	GUARD_AUTH_NONE = 0,
	GUARD_AUTH_BASIC,
	GUARD_AUTH_BEARER,
};

/* The challenge guard responds to: Bearer when the header offers it, else Basic.
 * Empty strings for parameters the header does not carry. */
struct guard_auth_challenge {
	enum guard_auth_scheme scheme;
	char realm[1024];
	char service[256];
	char scope[1024];
	char error[64];		/* "invalid_token", "insufficient_scope", ... */
};

/* Parses a WWW-Authenticate value that may hold several challenges, with
 * quoted or bare parameter values. Fails with GUARD_ERR_NETWORK when no
 * Bearer or Basic challenge is present, or a Bearer has no realm. */
int guard_auth_parse_challenge(const char *header, struct guard_auth_challenge *out,
			       struct guard_error *err);

/* A token endpoint request: method "GET" or "POST", the URL, the POST form
 * and the Authorization value (all owned; secrets wiped on release). */
struct guard_auth_token_request {
	char *method;
	char *url;
	char *form;
	char *authorization;
};

/* Builds the token request for a Bearer challenge. scope is the challenge's
 * scope, or "repository:<path>:pull" when it has none; service is omitted
 * when empty. credential may be NULL (anonymous). With an identity token
 * the request is a POST with grant_type=refresh_token; with a username and
 * password it is a GET with Basic authorization. use_get forces the GET
 * form (the fallback when a POST returns 404). */
int guard_auth_token_request_build(const struct guard_auth_challenge *challenge,
				   const char *scope, const struct guard_credential *credential,
				   bool use_get, struct guard_auth_token_request *out,
				   struct guard_error *err);
void guard_auth_token_request_release(struct guard_auth_token_request *req);

/* Reads "token" or "access_token" and "expires_in" (default 60 s) from a
 * token endpoint response. The token is owned by the caller. */
int guard_auth_parse_token(const char *body, size_t len, char **token, long *expires_in,
			   struct guard_error *err);

/* Returns "Basic base64(user:password)" (caller frees and wipes), NULL on
 * OOM. */
char *guard_auth_basic(const char *user, const char *password);

/* Tokens by (registry, scope), each kept until shortly before it expires. */
struct guard_auth_cache;

int guard_auth_cache_new(struct guard_auth_cache **out, struct guard_error *err);
void guard_auth_cache_free(struct guard_auth_cache *cache);

/* Returns the cached token, borrowed, or NULL when none is valid at now_ms. */
const char *guard_auth_cache_get(struct guard_auth_cache *cache, const char *registry,
				 const char *scope, uint64_t now_ms);
int guard_auth_cache_put(struct guard_auth_cache *cache, const char *registry, const char *scope,
			 const char *token, long expires_in, uint64_t now_ms,
			 struct guard_error *err);

#endif
