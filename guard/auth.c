#include "auth.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

/* Tokens are dropped this long before they expire, so that a request does
 * not start with a token that runs out on the way. */
#define AUTH_EXPIRY_MARGIN_MS 10000
#define AUTH_DEFAULT_EXPIRES_IN 60
#define AUTH_TOKEN_MAX (64u << 10)

/* RFC 7230 token characters. */
static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a token into out (truncated to size); returns the end. */
static const char *read_token(const char *p, char *out, size_t size)
{
	size_t n = 0;

	while (is_tchar(*p)) {
		if (n + 1 < size)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p;
}

/* Reads a quoted string or a bare token68-like value up to ',' or space. */
static const char *read_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < size)
				out[n++] = *p;
			p++;
		}
		if (*p == '"')
			p++;
	} else {
		while (*p && *p != ',' && *p != ' ' && *p != '\t') {
			if (n + 1 < size)
				out[n++] = *p;
			p++;
		}
	}
	out[n] = '\0';
	return p;
}

static void store_param(struct guard_auth_challenge *c, const char *name, const char *value)
{
	char *field = NULL;
	size_t size = 0;

	if (strcasecmp(name, "realm") == 0) {
		field = c->realm;
		size = sizeof(c->realm);
	} else if (strcasecmp(name, "service") == 0) {
		field = c->service;
		size = sizeof(c->service);
	} else if (strcasecmp(name, "scope") == 0) {
		field = c->scope;
		size = sizeof(c->scope);
	} else if (strcasecmp(name, "error") == 0) {
		field = c->error;
		size = sizeof(c->error);
	}
	if (field)
		snprintf(field, size, "%s", value);
}

/* True when p (after spaces) starts "name =" rather than a new scheme. */
static bool at_param(const char *p)
{
	char name[64];

	p = read_token(skip_space(p), name, sizeof(name));
	return name[0] && *skip_space(p) == '=';
}

/* Parses one challenge starting at p into c; returns where the next one
 * starts (or the end). */
static const char *parse_one(const char *p, struct guard_auth_challenge *c, char *scheme,
			     size_t scheme_size)
{
	memset(c, 0, sizeof(*c));
	p = read_token(skip_space(p), scheme, scheme_size);
	for (;;) {
		char name[64], value[1024];

		p = skip_space(p);
		while (*p == ',') {
			if (!at_param(p + 1)) {
				p = skip_space(p + 1);
				while (*p == ',')
					p = skip_space(p + 1);
				return p;
			}
			p = skip_space(p + 1);
		}
		if (!at_param(p))
			return *p ? p + strcspn(p, ",") : p;
		p = read_token(skip_space(p), name, sizeof(name));
		p = skip_space(skip_space(p) + 1);
		p = read_value(p, value, sizeof(value));
		store_param(c, name, value);
	}
}

int guard_auth_parse_challenge(const char *header, struct guard_auth_challenge *out,
			       struct guard_error *err)
{
	struct guard_auth_challenge basic = { 0 };
	bool have_basic = false;
	const char *p = header ? header : "";

	while (*(p = skip_space(p))) {
		struct guard_auth_challenge c;
		char scheme[32];
		const char *next = parse_one(p, &c, scheme, sizeof(scheme));

		if (strcasecmp(scheme, "Bearer") == 0) {
			if (!c.realm[0])
				return guard_error_set(err, GUARD_ERR_NETWORK,
						       "Bearer challenge without a realm");
			c.scheme = GUARD_AUTH_BEARER;
			*out = c;
			return 0;
		}
		if (strcasecmp(scheme, "Basic") == 0 && !have_basic) {
			basic = c;
			basic.scheme = GUARD_AUTH_BASIC;
			have_basic = true;
		}
		if (next == p)
			next++;
		p = next;
	}
	if (have_basic) {
		*out = basic;
		return 0;
	}
	return guard_error_set(err, GUARD_ERR_NETWORK,
			       "no Bearer or Basic challenge in WWW-Authenticate '%.120s'",
			       header ? header : "");
}

char *guard_auth_basic(const char *user, const char *password)
{
	size_t plain_len = strlen(user) + 1 + strlen(password);
	size_t encoded_len = 4 * ((plain_len + 2) / 3);
	char *plain = malloc(plain_len + 1);
	char *out = malloc(sizeof("Basic ") + encoded_len + 1);

	if (!plain || !out) {
		free(plain);
		free(out);
		return NULL;
	}
	snprintf(plain, plain_len + 1, "%s:%s", user, password);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)plain_len);
	guard_wipe(plain, plain_len);
	free(plain);
	return out;
}

/* Appends "&name=escaped(value)" (without '&' when first). */
static int add_param(struct guard_buf *buf, bool *first, const char *name, const char *value,
		     struct guard_error *err)
{
	char *escaped = curl_easy_escape(NULL, value, 0);
	int rc;

	if (!escaped)
		return guard_error_oom(err);
	rc = guard_buf_printf(buf, err, "%s%s=%s", *first ? "" : "&", name, escaped);
	guard_wipe(escaped, strlen(escaped));
	curl_free(escaped);
	*first = false;
	return rc;
}

static int build_query(struct guard_buf *buf, const struct guard_auth_challenge *c,
		       const char *scope, struct guard_error *err)
{
	bool first = !strchr(c->realm, '?');

	if (guard_buf_puts(buf, c->realm, err) < 0 || guard_buf_putc(buf, first ? '?' : '&', err) < 0)
		return -1;
	first = true;
	if (c->service[0] && add_param(buf, &first, "service", c->service, err) < 0)
		return -1;
	/* Several scopes are separated by spaces in a challenge and become
	 * repeated scope parameters. */
	for (const char *p = scope; *p;) {
		size_t len = strcspn(p, " ");
		char one[1024];

		if (len > 0 && len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (add_param(buf, &first, "scope", one, err) < 0)
				return -1;
		}
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

static int build_form(struct guard_buf *buf, const struct guard_auth_challenge *c,
		      const char *scope, const char *refresh_token, struct guard_error *err)
{
	bool first = true;

	if (add_param(buf, &first, "grant_type", "refresh_token", err) < 0 ||
	    add_param(buf, &first, "refresh_token", refresh_token, err) < 0 ||
	    add_param(buf, &first, "client_id", "guard", err) < 0 ||
	    (c->service[0] && add_param(buf, &first, "service", c->service, err) < 0) ||
	    add_param(buf, &first, "scope", scope, err) < 0)
		return -1;
	return 0;
}

int guard_auth_token_request_build(const struct guard_auth_challenge *challenge,
				   const char *scope, const struct guard_credential *credential,
				   bool use_get, struct guard_auth_token_request *out,
				   struct guard_error *err)
{
	struct guard_buf url = GUARD_BUF_INIT(8192);
	struct guard_buf form = GUARD_BUF_INIT(65536);
	struct guard_auth_token_request req = { 0 };
	size_t len;
	bool post = credential && credential->identity_token && !use_get;

	if (post) {
		if (guard_buf_puts(&url, challenge->realm, err) < 0 ||
		    build_form(&form, challenge, scope, credential->identity_token, err) < 0)
			goto fail;
		req.form = guard_buf_detach(&form, &len);
	} else {
		if (build_query(&url, challenge, scope, err) < 0)
			goto fail;
		if (credential && credential->username && credential->password) {
			req.authorization = guard_auth_basic(credential->username, credential->password);
			if (!req.authorization) {
				guard_error_oom(err);
				goto fail;
			}
		}
	}
	req.method = strdup(post ? "POST" : "GET");
	req.url = guard_buf_detach(&url, &len);
	if (!req.method || !req.url || (post && !req.form)) {
		guard_auth_token_request_release(&req);
		return guard_error_oom(err);
	}
	*out = req;
	return 0;
fail:
	guard_buf_release(&url);
	guard_buf_release_secret(&form);
	guard_auth_token_request_release(&req);
	return -1;
}

void guard_auth_token_request_release(struct guard_auth_token_request *req)
{
	if (req->form)
		guard_wipe(req->form, strlen(req->form));
	if (req->authorization)
		guard_wipe(req->authorization, strlen(req->authorization));
	free(req->method);
	free(req->url);
	free(req->form);
	free(req->authorization);
	memset(req, 0, sizeof(*req));
}

int guard_auth_parse_token(const char *body, size_t len, char **token, long *expires_in,
			   struct guard_error *err)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *value;
	json_t *expiry;

	if (!json_is_object(root)) {
		json_decref(root);
		return guard_error_set(err, GUARD_ERR_NETWORK, "token response is not a JSON object");
	}
	value = json_string_value(json_object_get(root, "token"));
	if (!value || !*value)
		value = json_string_value(json_object_get(root, "access_token"));
	if (!value || !*value || strlen(value) > AUTH_TOKEN_MAX) {
		json_decref(root);
		return guard_error_set(err, GUARD_ERR_NETWORK,
				       "token response has no usable 'token' or 'access_token'");
	}
	*token = strdup(value);
	expiry = json_object_get(root, "expires_in");
	*expires_in = AUTH_DEFAULT_EXPIRES_IN;
	if (json_is_integer(expiry) && json_integer_value(expiry) > 0)
		*expires_in = (long)json_integer_value(expiry);
	json_decref(root);
	return *token ? 0 : guard_error_oom(err);
}

struct cache_entry {
	char *registry;
	char *scope;
	char *token;
	uint64_t valid_until_ms;
	struct cache_entry *next;
};

struct guard_auth_cache {
	struct cache_entry *entries;
};

int guard_auth_cache_new(struct guard_auth_cache **out, struct guard_error *err)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : guard_error_oom(err);
}

static void entry_free(struct cache_entry *e)
{
	guard_wipe(e->token, strlen(e->token));
	free(e->registry);
	free(e->scope);
	free(e->token);
	free(e);
}

void guard_auth_cache_free(struct guard_auth_cache *cache)
{
	if (!cache)
		return;
	while (cache->entries) {
		struct cache_entry *e = cache->entries;

		cache->entries = e->next;
		entry_free(e);
	}
	free(cache);
}

static struct cache_entry **cache_find(struct guard_auth_cache *cache, const char *registry,
				       const char *scope)
{
	struct cache_entry **link;

	for (link = &cache->entries; *link; link = &(*link)->next)
		if (strcmp((*link)->registry, registry) == 0 && strcmp((*link)->scope, scope) == 0)
			return link;
	return link;
}

const char *guard_auth_cache_get(struct guard_auth_cache *cache, const char *registry,
				 const char *scope, uint64_t now_ms)
{
	struct cache_entry **link = cache_find(cache, registry, scope);

	if (!*link)
		return NULL;
	if ((*link)->valid_until_ms <= now_ms) {
		struct cache_entry *e = *link;

		*link = e->next;
		entry_free(e);
		return NULL;
	}
	return (*link)->token;
}

int guard_auth_cache_put(struct guard_auth_cache *cache, const char *registry, const char *scope,
			 const char *token, long expires_in, uint64_t now_ms,
			 struct guard_error *err)
{
	struct cache_entry **link = cache_find(cache, registry, scope);
	struct cache_entry *e = *link;
	uint64_t lifetime = (uint64_t)(expires_in > 0 ? expires_in : AUTH_DEFAULT_EXPIRES_IN) * 1000;

	/* A short-lived token is kept for its first half instead. */
	lifetime = lifetime > 2 * AUTH_EXPIRY_MARGIN_MS ? lifetime - AUTH_EXPIRY_MARGIN_MS
							: lifetime / 2;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return guard_error_oom(err);
		e->registry = strdup(registry);
		e->scope = strdup(scope);
		if (!e->registry || !e->scope) {
			free(e->registry);
			free(e->scope);
			free(e);
			return guard_error_oom(err);
		}
		*link = e;
	} else {
		guard_wipe(e->token, strlen(e->token));
		free(e->token);
	}
	e->token = strdup(token);
	if (!e->token) {
		e->token = strdup("");
		e->valid_until_ms = 0;
		return guard_error_oom(err);
	}
	e->valid_until_ms = now_ms + lifetime;
	return 0;
}
