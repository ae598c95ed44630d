#include "registry.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "credentials.h"
#include "http.h"
#include "log.h"
#include "util.h"

/* All four manifest types, so that no registry converts an index into one
 * platform's manifest or into schema 1 (a different digest). */
#define MANIFEST_ACCEPT                                            \
	"application/vnd.oci.image.index.v1+json, "                \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.oci.image.manifest.v1+json, "             \
	"application/vnd.docker.distribution.manifest.v2+json"

#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* Blobs of unknown size are cut off here. */
#define BLOB_UNKNOWN_SIZE_MAX ((uint64_t)8 << 30)
/* An authenticated request that gets 401 again is not retried more often. */
#define AUTH_ROUNDS_MAX 2

/* Stage of a host's first contact. The ping (GET /v2/) finds the scheme of
 * loopback and insecure hosts and the authentication challenge, so that
 * manifest requests go out with a token from the start. */
enum host_state { HOST_NEW, HOST_PINGING, HOST_READY, HOST_FAILED };

/* Outcome of the plain HTTP ping sent alongside the HTTPS ping of a
 * loopback or insecure host. */
struct plain_ping {
	bool pending;		/* sent and not finished */
	bool done;
	bool awaited;		/* the HTTPS handshake failed, so the host waits for this ping */
	struct guard_error error;
	bool has_challenge;
	struct guard_auth_challenge challenge;
};

/* State kept for one registry domain. */
struct reg_host {
	char *domain;		/* as in the reference: "docker.io", "127.0.0.1:5000" */
	char *base;		/* "https://registry-1.docker.io" or the mirror URL */
	char *cred_key;		/* domain whose credentials are used */
	struct guard_registry *reg;
	bool http_fallback;	/* loopback or insecure: https first, then http */
	enum host_state state;
	struct job *ping_waiters;	/* jobs held until the ping has finished */
	bool has_challenge;	/* the ping was answered 401 with a usable challenge */
	struct guard_auth_challenge challenge;	/* that challenge, without a scope */
	struct guard_error ping_error;	/* why the host cannot be reached (HOST_FAILED) */
	struct plain_ping plain;
	bool cred_loaded;
	bool has_cred;
	bool cred_failed;		/* the lookup failed: every request of the host fails */
	struct guard_error cred_error;
	struct guard_credential cred;
	char *basic;		/* "Basic ..." once the registry asked for Basic */
	struct reg_host *next;
};

enum job_kind { JOB_RESOLVE, JOB_MANIFEST, JOB_BLOB };

struct job {
	struct guard_registry *reg;
	enum job_kind kind;
	struct reg_host *host;
	const struct guard_ref *ref;
	char *display;		/* "domain/path" for messages */
	char reference[160];	/* tag or digest in the URL */
	bool reference_is_digest;
	const char *platform;
	bool by_digest;
	bool use_get;
	char *authorization;
	unsigned auth_rounds;
	char scope[1100];

	bool finished;
	struct guard_error error;
	char digest[GUARD_DIGEST_MAX];
	char media_type[128];
	bool is_index;
	bool from_index;	/* digest was chosen from the index by platform */

	struct guard_buf *body_out;	/* JOB_MANIFEST */
	int64_t blob_size;		/* JOB_BLOB, -1 when unknown */
	guard_blob_fn blob_fn;
	void *blob_ctx;
	struct guard_sha256 blob_hash;
	uint64_t blob_received;

	struct job *next_waiting;	/* waiting for a ping or a token fetch */
};

/* A token request in flight and the jobs waiting for its response. */
struct token_fetch {
	struct guard_registry *reg;
	struct reg_host *host;
	char *scope;
	struct guard_auth_challenge challenge;
	bool used_get;
	struct job *waiters;
	struct token_fetch *next;
};

struct guard_registry {
	struct guard_http *http;
	struct guard_auth_cache *tokens;
	struct guard_mirror_opt *mirrors;
	size_t mirror_count;
	struct reg_host *hosts;
	struct token_fetch *fetches;
	guard_credential_fn credential_fn;
	guard_resolve_progress_fn progress_fn;
	void *progress_ctx;
	size_t progress_done;	/* resolutions of the current batch finished */
	size_t progress_total;	/* distinct resolutions of the current batch */
};

static void job_submit(struct job *job);

/* Copies src into dst, cut to fit (values from responses can be longer). */
static void copy_text(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

int guard_registry_new(struct guard_registry **out, const struct guard_registry_config *config,
		       struct guard_error *err)
{
	struct guard_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return guard_error_oom(err);
	if (guard_http_new(&reg->http, config ? &config->insecure : NULL,
			   config ? &config->ca_files : NULL, err) < 0 ||
	    guard_auth_cache_new(&reg->tokens, err) < 0) {
		guard_registry_free(reg);
		return -1;
	}
	if (config && config->mirror_count > 0) {
		reg->mirrors = calloc(config->mirror_count, sizeof(*reg->mirrors));
		if (!reg->mirrors) {
			guard_registry_free(reg);
			return guard_error_oom(err);
		}
		reg->mirror_count = config->mirror_count;
		for (size_t i = 0; i < config->mirror_count; i++) {
			reg->mirrors[i].host = strdup(config->mirrors[i].host);
			reg->mirrors[i].url = strdup(config->mirrors[i].url);
			if (!reg->mirrors[i].host || !reg->mirrors[i].url) {
				guard_registry_free(reg);
				return guard_error_oom(err);
			}
		}
	}
	reg->credential_fn = guard_credentials_lookup;
	*out = reg;
	return 0;
}

static void host_free(struct reg_host *h)
{
	free(h->domain);
	free(h->base);
	free(h->cred_key);
	if (h->has_cred)
		guard_credential_release(&h->cred);
	if (h->basic)
		guard_wipe(h->basic, strlen(h->basic));
	free(h->basic);
	free(h);
}

void guard_registry_free(struct guard_registry *reg)
{
	if (!reg)
		return;
	while (reg->hosts) {
		struct reg_host *h = reg->hosts;

		reg->hosts = h->next;
		host_free(h);
	}
	for (size_t i = 0; i < reg->mirror_count; i++) {
		free(reg->mirrors[i].host);
		free(reg->mirrors[i].url);
	}
	free(reg->mirrors);
	guard_auth_cache_free(reg->tokens);
	guard_http_free(reg->http);
	free(reg);
}

void guard_registry_set_credential_fn(struct guard_registry *reg, guard_credential_fn fn)
{
	reg->credential_fn = fn ? fn : guard_credentials_lookup;
}

void guard_registry_set_progress_fn(struct guard_registry *reg, guard_resolve_progress_fn fn,
				    void *ctx)
{
	reg->progress_fn = fn;
	reg->progress_ctx = ctx;
}

uint64_t guard_registry_request_count(const struct guard_registry *reg)
{
	return guard_http_request_count(reg->http);
}

/* Returns the "host[:port]" part of a URL such as "http://127.0.0.1:5000/x". */
static char *url_host(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	return strndup(p, strcspn(p, "/"));
}

static int host_init(struct guard_registry *reg, struct reg_host *h, const char *domain,
		     struct guard_error *err)
{
	const struct guard_ref api = { (char *)domain, NULL, NULL, NULL };
	const char *api_host = guard_ref_api_host(&api);

	h->domain = strdup(domain);
	if (!h->domain)
		return guard_error_oom(err);
	for (size_t i = 0; i < reg->mirror_count; i++) {
		if (strcasecmp(reg->mirrors[i].host, domain) != 0)
			continue;
		h->base = strdup(reg->mirrors[i].url);
		if (h->base) {
			size_t len = strlen(h->base);

			while (len > 0 && h->base[len - 1] == '/')
				h->base[--len] = '\0';
			if (!strstr(h->base, "://")) {
				free(h->base);
				h->base = NULL;
				return guard_error_set(err, GUARD_ERR_USAGE,
						       "mirror URL '%s' for '%s' needs a scheme "
						       "(https:// or http://)",
						       reg->mirrors[i].url, domain);
			}
		}
		h->cred_key = h->base ? url_host(h->base) : NULL;
		break;
	}
	if (!h->base) {
		size_t len = strlen(api_host) + sizeof("https://");

		h->base = malloc(len);
		if (h->base)
			snprintf(h->base, len, "https://%s", api_host);
		h->cred_key = strdup(domain);
		h->http_fallback = guard_host_is_loopback(api_host) ||
				   guard_http_host_insecure(reg->http, api_host);
	}
	if (!h->base || !h->cred_key)
		return guard_error_oom(err);
	return 0;
}

static int host_get(struct guard_registry *reg, const char *domain, struct reg_host **out,
		    struct guard_error *err)
{
	struct reg_host *h;

	for (h = reg->hosts; h; h = h->next) {
		if (strcmp(h->domain, domain) == 0) {
			*out = h;
			return 0;
		}
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return guard_error_oom(err);
	h->reg = reg;
	if (host_init(reg, h, domain, err) < 0) {
		host_free(h);
		return -1;
	}
	h->next = reg->hosts;
	reg->hosts = h;
	*out = h;
	return 0;
}

/* Looks up the host's credential once. A failing helper was already a
 * warning inside the lookup. A failing lookup (an unreadable or malformed
 * config.json) fails every request of the host, as docker does, rather than
 * going on without the credentials the user configured. */
static int host_load_credential(struct guard_registry *reg, struct reg_host *h,
				struct guard_error *err)
{
	bool found = false;

	if (!h->cred_loaded) {
		h->cred_loaded = true;
		if (reg->credential_fn(h->cred_key, &h->cred, &found, &h->cred_error) < 0)
			h->cred_failed = true;
		else
			h->has_cred = found;
	}
	if (h->cred_failed) {
		guard_error_copy(err, &h->cred_error);
		return -1;
	}
	return 0;
}

/* Marks a job finished and reports the progress of a resolve batch. */
static void job_mark_finished(struct job *job)
{
	struct guard_registry *reg = job->reg;

	if (job->finished)
		return;
	job->finished = true;
	if (job->kind == JOB_RESOLVE && reg && reg->progress_fn) {
		reg->progress_done++;
		reg->progress_fn(reg->progress_done, reg->progress_total, reg->progress_ctx);
	}
}

static void job_fail(struct job *job, enum guard_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_fail(struct job *job, enum guard_error_code code, const char *fmt, ...)
{
	va_list ap;

	job_mark_finished(job);
	job->error.code = code;
	va_start(ap, fmt);
	vsnprintf(job->error.message, sizeof(job->error.message), fmt, ap);
	va_end(ap);
}

static void job_fail_copy(struct job *job, const struct guard_error *err)
{
	job_mark_finished(job);
	guard_error_copy(&job->error, err);
	if (job->error.code == GUARD_OK)
		job->error.code = GUARD_ERR_INTERNAL;
}

static void job_set_authorization(struct job *job, const char *scheme, const char *value)
{
	struct guard_buf buf = GUARD_BUF_INIT(1 << 20);
	size_t len;

	if (job->authorization) {
		guard_wipe(job->authorization, strlen(job->authorization));
		free(job->authorization);
		job->authorization = NULL;
	}
	if (!value)
		return;
	if (guard_buf_printf(&buf, NULL, "%s%s", scheme, value) == 0)
		job->authorization = guard_buf_detach(&buf, &len);
	guard_buf_release_secret(&buf);
}

static bool media_is_index(const char *type)
{
	return strcmp(type, MEDIA_OCI_INDEX) == 0 || strcmp(type, MEDIA_DOCKER_LIST) == 0;
}

static bool media_is_schema1(const char *type)
{
	return strncmp(type, "application/vnd.docker.distribution.manifest.v1+", 48) == 0;
}

static void fail_schema1(struct job *job)
{
	job_fail(job, GUARD_ERR_NETWORK,
		 "registry '%s' served a deprecated schema 1 manifest for '%s:%s'; schema 1 is "
		 "not supported, push the image again with a current client",
		 job->host->domain, job->display, job->reference);
}

/* The "repository:<path>:pull" scope this job needs. */
static void job_default_scope(struct job *job)
{
	snprintf(job->scope, sizeof(job->scope), "repository:%s:pull", job->ref->path);
}

static void job_finish_ok(struct job *job)
{
	job_mark_finished(job);
	job->error.code = GUARD_OK;
}

static int job_url(struct job *job, struct guard_buf *url)
{
	const char *what = job->kind == JOB_BLOB ? "blobs" : "manifests";

	return guard_buf_printf(url, &job->error, "%s/v2/%s/%s/%s", job->host->base,
				job->ref->path, what, job->reference);
}

static void job_on_response(struct guard_http_response *resp, const struct guard_error *error,
			    void *ctx);

static int blob_sink(const void *data, size_t len, void *ctx, struct guard_error *err)
{
	struct job *job = ctx;

	if (job->blob_size >= 0 && job->blob_received + len > (uint64_t)job->blob_size)
		return guard_error_set(err, GUARD_ERR_NETWORK,
				       "blob '%s' from '%s' is larger than its %lld bytes",
				       job->reference, job->host->domain, (long long)job->blob_size);
	if (job->blob_size < 0 && job->blob_received + len > BLOB_UNKNOWN_SIZE_MAX)
		return guard_error_set(err, GUARD_ERR_LIMIT,
				       "blob '%s' from '%s' is larger than %llu bytes",
				       job->reference, job->host->domain,
				       (unsigned long long)BLOB_UNKNOWN_SIZE_MAX);
	if (guard_sha256_update(&job->blob_hash, data, len, err) < 0)
		return -1;
	job->blob_received += len;
	return job->blob_fn(data, len, job->blob_ctx, err);
}

static void job_submit(struct job *job)
{
	struct guard_buf url = GUARD_BUF_INIT(8192);
	struct guard_http_request req = { 0 };
	struct guard_error err = GUARD_ERROR_INIT;

	if (job_url(job, &url) < 0) {
		job_fail_copy(job, &job->error);
		return;
	}
	req.method = job->kind == JOB_BLOB || job->use_get ? "GET" : "HEAD";
	req.url = url.data;
	req.accept = job->kind == JOB_BLOB ? NULL : MANIFEST_ACCEPT;
	req.authorization = job->authorization;
	if (job->kind == JOB_BLOB) {
		req.sink = blob_sink;
		req.sink_ctx = job;
	}
	if (guard_http_submit(job->reg->http, &req, job_on_response, job, &err) < 0)
		job_fail_copy(job, &err);
	guard_buf_release(&url);
}

static void job_need_token(struct job *job, const struct guard_auth_challenge *challenge);

/* Sends a job with the credentials its host is known to need: a cached or
 * newly fetched token for the job's repository scope, or Basic. A job of a
 * host without a known challenge goes out anonymously and handles a 401 when
 * it comes. */
static void job_send_authorized(struct job *job)
{
	struct guard_error cred_err = GUARD_ERROR_INIT;
	struct reg_host *h = job->host;
	const char *token;

	job_default_scope(job);
	token = guard_auth_cache_get(job->reg->tokens, h->base, job->scope, guard_now_ms());
	if (token) {
		job_set_authorization(job, "Bearer ", token);
	} else if (h->basic) {
		job_set_authorization(job, "", h->basic);
	} else if (h->has_challenge) {
		if (host_load_credential(job->reg, h, &cred_err) < 0) {
			job_fail_copy(job, &cred_err);
			return;
		}
		if (h->challenge.scheme == GUARD_AUTH_BEARER) {
			if (h->has_cred && h->cred.registry_token) {
				job_set_authorization(job, "Bearer ", h->cred.registry_token);
			} else {
				job_need_token(job, &h->challenge);
				return;
			}
		} else if (h->has_cred && h->cred.username && h->cred.password) {
			h->basic = guard_auth_basic(h->cred.username, h->cred.password);
			if (h->basic)
				job_set_authorization(job, "", h->basic);
		}
	}
	job_submit(job);
}

static void host_ping(struct reg_host *h);

static int fetch_submit(struct token_fetch *f, struct guard_error *err);
static void fetch_finish(struct token_fetch *f, const char *token, const struct guard_error *err);
static bool scope_list_has(const char *list, const char *scope);

/* Scopes named in one token request at most, which keeps its URL short. */
#define SCOPES_PER_FETCH 16

/* Sends one token request for the space-separated scopes in scopes. A
 * request that cannot be sent is dropped, and each job then requests a
 * token for its own scope. */
static void prefetch_submit(struct reg_host *h, struct guard_buf *scopes)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct token_fetch *f = calloc(1, sizeof(*f));

	if (!f || !(f->scope = guard_buf_detach(scopes, NULL))) {
		free(f);
		return;
	}
	f->reg = h->reg;
	f->host = h;
	f->challenge = h->challenge;
	f->next = h->reg->fetches;
	h->reg->fetches = f;
	if (fetch_submit(f, &err) < 0)
		fetch_finish(f, NULL, &err);
}

/* Starts one token request for the repositories of the jobs held for the
 * ping, SCOPES_PER_FETCH at a time, so that a batch costs one token request
 * instead of one per repository. The token specification allows several
 * scope parameters. A registry that grants fewer returns 401 to a manifest
 * request, which then fetches a token for its own scope. */
static void host_prefetch_tokens(struct reg_host *h)
{
	struct guard_registry *reg = h->reg;
	struct guard_buf scopes = GUARD_BUF_INIT(SCOPES_PER_FETCH * sizeof(((struct job *)0)->scope));
	struct guard_error err = GUARD_ERROR_INIT;
	size_t count = 0;
	struct job *job;

	if (!h->has_challenge || h->challenge.scheme != GUARD_AUTH_BEARER ||
	    (h->has_cred && h->cred.registry_token))
		return;
	for (job = h->ping_waiters;; job = job->next_waiting) {
		bool flush = !job;

		if (job) {
			job_default_scope(job);
			if (!scope_list_has(scopes.data ? scopes.data : "", job->scope) &&
			    !guard_auth_cache_get(reg->tokens, h->base, job->scope, guard_now_ms())) {
				if ((count > 0 && guard_buf_putc(&scopes, ' ', &err) < 0) ||
				    guard_buf_puts(&scopes, job->scope, &err) < 0)
					break;
				flush = ++count == SCOPES_PER_FETCH;
			}
		}
		if (flush && count > 1)
			prefetch_submit(h, &scopes);
		if (flush) {
			guard_buf_release(&scopes);
			count = 0;
		}
		if (!job)
			break;
	}
	guard_buf_release(&scopes);
}

/* Makes the host ready and sends the jobs held for its ping. */
static void host_ready(struct reg_host *h)
{
	struct job *job;

	h->state = HOST_READY;
	host_prefetch_tokens(h);
	job = h->ping_waiters;
	h->ping_waiters = NULL;
	while (job) {
		struct job *next = job->next_waiting;

		job->next_waiting = NULL;
		job_send_authorized(job);
		job = next;
	}
}

/* Fails the jobs held for the ping with its error: a host that cannot be
 * reached costs one ping and its retries, not retries per reference. */
static void host_fail(struct reg_host *h, const struct guard_error *err)
{
	struct job *job = h->ping_waiters;

	h->state = HOST_FAILED;
	h->ping_waiters = NULL;
	guard_error_copy(&h->ping_error, err);
	if (h->ping_error.code == GUARD_OK)
		guard_error_set(&h->ping_error, GUARD_ERR_INTERNAL, "ping of '%s' failed", h->domain);
	while (job) {
		struct job *next = job->next_waiting;

		job->next_waiting = NULL;
		job_fail_copy(job, &h->ping_error);
		job = next;
	}
}

/* Reads the challenge of a 401 ping response into out, without the scope
 * and error: the scope of a manifest request is its repository's, whatever
 * the ping's challenge names. */
static bool ping_challenge(const struct guard_http_response *resp,
			   struct guard_auth_challenge *out)
{
	if (resp->status != 401 ||
	    guard_auth_parse_challenge(resp->www_authenticate.data, out, NULL) < 0)
		return false;
	out->scope[0] = '\0';
	out->error[0] = '\0';
	return true;
}

/* Settles a host that failed its TLS handshake with the plain ping's
 * outcome. That ping had one attempt, so when it failed the host is pinged
 * again over plain HTTP with the usual retries. */
static void host_apply_plain(struct reg_host *h)
{
	if (h->plain.error.code != GUARD_OK) {
		host_ping(h);
		return;
	}
	h->has_challenge = h->plain.has_challenge;
	h->challenge = h->plain.challenge;
	host_ready(h);
}

static void host_on_plain_ping(struct guard_http_response *resp, const struct guard_error *error,
			       void *ctx)
{
	struct reg_host *h = ctx;

	h->plain.pending = false;
	h->plain.done = true;
	guard_error_copy(&h->plain.error, error);
	if (error->code == GUARD_OK)
		h->plain.has_challenge = ping_challenge(resp, &h->plain.challenge);
	if (h->plain.awaited && h->state == HOST_PINGING) {
		h->plain.awaited = false;
		host_apply_plain(h);
	}
}

static void host_on_ping(struct guard_http_response *resp, const struct guard_error *error,
			 void *ctx)
{
	struct reg_host *h = ctx;

	if (error->code != GUARD_OK) {
		/* A loopback or insecure host that fails the TLS handshake is
		 * used over plain HTTP from now on. A plain HTTP server responds
		 * to the ClientHello with an HTTP error, which OpenSSL reports as
		 * "wrong version number". */
		if (resp->tls_handshake_failed && h->http_fallback &&
		    strncmp(h->base, "https://", 8) == 0) {
			memmove(h->base + 4, h->base + 5, strlen(h->base + 5) + 1);
			guard_log_debug("registry '%s' does not speak TLS, using plain HTTP", h->domain);
			if (h->plain.done)
				host_apply_plain(h);
			else if (h->plain.pending)
				h->plain.awaited = true;
			else
				host_ping(h);
			return;
		}
		host_fail(h, error);
		return;
	}
	h->has_challenge = ping_challenge(resp, &h->challenge);
	host_ready(h);
}

/* Sends GET /v2/ to learn the host's scheme and challenge. A status other
 * than 401 only means that no challenge is known, because some mirrors and
 * proxies return 404 there. A loopback or insecure host is pinged over
 * HTTPS and plain HTTP at the same time, so that a plain HTTP registry
 * costs no extra round trip after its failed handshake. The HTTPS response
 * wins whenever the handshake succeeds. */
static void host_ping(struct reg_host *h)
{
	struct guard_buf url = GUARD_BUF_INIT(8192);
	struct guard_http_request req = { 0 };
	struct guard_error err = GUARD_ERROR_INIT;

	h->state = HOST_PINGING;
	memset(&h->plain, 0, sizeof(h->plain));
	if (guard_buf_printf(&url, &err, "%s/v2/", h->base) < 0) {
		host_fail(h, &err);
		return;
	}
	req.method = "GET";
	req.url = url.data;
	if (guard_http_submit(h->reg->http, &req, host_on_ping, h, &err) < 0) {
		guard_buf_release(&url);
		host_fail(h, &err);
		return;
	}
	guard_buf_release(&url);
	if (!h->http_fallback || strncmp(h->base, "https://", 8) != 0)
		return;

	/* No retries: a host whose handshake fails is up, and host_apply_plain
	 * pings again when this one request fails. */
	req.max_attempts = 1;
	if (guard_buf_printf(&url, NULL, "http://%s/v2/", h->base + 8) == 0) {
		req.url = url.data;
		if (guard_http_submit(h->reg->http, &req, host_on_plain_ping, h, NULL) == 0)
			h->plain.pending = true;
	}
	guard_buf_release(&url);
}

/* Starts a job: the first job of a host pings it, the others wait for the
 * ping to finish. */
static void job_start(struct job *job)
{
	struct reg_host *h = job->host;

	switch (h->state) {
	case HOST_READY:
		job_send_authorized(job);
		return;
	case HOST_FAILED:
		job_fail_copy(job, &h->ping_error);
		return;
	case HOST_NEW:
	case HOST_PINGING:
		break;
	}
	job->next_waiting = h->ping_waiters;
	h->ping_waiters = job;
	if (h->state == HOST_NEW)
		host_ping(h);
}

static void fetch_on_response(struct guard_http_response *resp, const struct guard_error *error,
			      void *ctx);

static void fetch_release(struct token_fetch *f)
{
	struct token_fetch **link;

	for (link = &f->reg->fetches; *link; link = &(*link)->next) {
		if (*link == f) {
			*link = f->next;
			break;
		}
	}
	free(f->scope);
	free(f);
}

static int fetch_submit(struct token_fetch *f, struct guard_error *err)
{
	struct guard_auth_token_request tr = { 0 };
	struct guard_http_request req = { 0 };
	int rc;

	if (host_load_credential(f->reg, f->host, err) < 0)
		return -1;
	if (guard_auth_token_request_build(&f->challenge, f->scope,
					   f->host->has_cred ? &f->host->cred : NULL, f->used_get,
					   &tr, err) < 0)
		return -1;
	f->used_get = strcmp(tr.method, "GET") == 0;
	req.method = tr.method;
	req.url = tr.url;
	req.form = tr.form;
	req.authorization = tr.authorization;
	req.max_body = 1 << 20;
	rc = guard_http_submit(f->reg->http, &req, fetch_on_response, f, err);
	if (rc < 0)
		guard_error_prefix(err, "token request to '%.200s'", f->challenge.realm);
	guard_auth_token_request_release(&tr);
	return rc;
}

/* Ends a fetch: waiters continue with the token, or fail with err. */
static void fetch_finish(struct token_fetch *f, const char *token, const struct guard_error *err)
{
	struct job *job = f->waiters;

	while (job) {
		struct job *next = job->next_waiting;

		job->next_waiting = NULL;
		if (token) {
			job_set_authorization(job, "Bearer ", token);
			job_submit(job);
		} else {
			job_fail_copy(job, err);
		}
		job = next;
	}
	fetch_release(f);
}

static void login_hint(char *out, size_t size, const struct reg_host *h)
{
	if (strcmp(h->cred_key, "docker.io") == 0)
		snprintf(out, size, "log in with 'docker login'");
	else
		snprintf(out, size, "log in with 'docker login %s'", h->cred_key);
}

/* True when scope is one of the space-separated scopes of list. */
static bool scope_list_has(const char *list, const char *scope)
{
	size_t n = strlen(scope);
	const char *p = list;

	while ((p = strstr(p, scope)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/* Caches token under each scope of the fetch: a token request may name the
 * scopes of several repositories. */
static int cache_token(struct token_fetch *f, const char *token, long expires_in,
		       struct guard_error *err)
{
	const char *p = f->scope;

	while (*p) {
		size_t len = strcspn(p, " ");
		char one[sizeof(((struct job *)0)->scope)];

		if (len > 0 && len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (guard_auth_cache_put(f->reg->tokens, f->host->base, one, token, expires_in,
						 guard_now_ms(), err) < 0)
				return -1;
		}
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

static void fetch_on_response(struct guard_http_response *resp, const struct guard_error *error,
			      void *ctx)
{
	struct token_fetch *f = ctx;
	struct guard_error err = GUARD_ERROR_INIT;
	char summary[256], hint[300];
	char *token = NULL;
	long expires_in = 0;

	if (error->code != GUARD_OK) {
		guard_error_copy(&err, error);
		guard_error_prefix(&err, "token request to '%.200s'", f->challenge.realm);
		fetch_finish(f, NULL, &err);
		return;
	}
	if (resp->status == 404 && !f->used_get) {
		/* Token servers without the OAuth2 POST form return 404. */
		f->used_get = true;
		if (fetch_submit(f, &err) < 0)
			fetch_finish(f, NULL, &err);
		return;
	}
	guard_http_error_summary(resp, summary, sizeof(summary));
	if (resp->status == 401 || resp->status == 403) {
		login_hint(hint, sizeof(hint), f->host);
		guard_error_set(&err, GUARD_ERR_AUTH,
				"token server '%.200s' rejected the %s for '%s' (HTTP %ld%s%s): %s",
				f->challenge.realm, f->host->has_cred ? "credentials" : "anonymous request",
				f->host->domain, resp->status, summary[0] ? " " : "", summary, hint);
		fetch_finish(f, NULL, &err);
		return;
	}
	if (resp->status != 200) {
		guard_error_set(&err, GUARD_ERR_NETWORK,
				"token server '%.200s' returned HTTP %ld%s%s", f->challenge.realm,
				resp->status, summary[0] ? ": " : "", summary);
		fetch_finish(f, NULL, &err);
		return;
	}
	if (guard_auth_parse_token(resp->body.data, resp->body.len, &token, &expires_in, &err) < 0 ||
	    cache_token(f, token, expires_in, &err) < 0) {
		guard_error_prefix(&err, "token server '%.200s'", f->challenge.realm);
		fetch_finish(f, NULL, &err);
	} else {
		fetch_finish(f, token, NULL);
	}
	if (token) {
		guard_wipe(token, strlen(token));
		free(token);
	}
}

/* Gets a token for the job's scope: from the cache, from a fetch already in
 * flight, or from a new token request. */
static void job_need_token(struct job *job, const struct guard_auth_challenge *challenge)
{
	struct guard_registry *reg = job->reg;
	struct guard_error err = GUARD_ERROR_INIT;
	struct token_fetch *f;

	if (challenge->scope[0])
		snprintf(job->scope, sizeof(job->scope), "%s", challenge->scope);
	for (f = reg->fetches; f; f = f->next) {
		if (f->host == job->host && scope_list_has(f->scope, job->scope)) {
			job->next_waiting = f->waiters;
			f->waiters = job;
			return;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->scope = strdup(job->scope))) {
		free(f);
		job_fail(job, GUARD_ERR_INTERNAL, "out of memory");
		return;
	}
	f->reg = reg;
	f->host = job->host;
	f->challenge = *challenge;
	f->waiters = job;
	f->next = reg->fetches;
	reg->fetches = f;
	if (fetch_submit(f, &err) < 0)
		fetch_finish(f, NULL, &err);
}

static void job_on_unauthorized(struct job *job, struct guard_http_response *resp)
{
	struct guard_auth_challenge challenge;
	struct guard_error err = GUARD_ERROR_INIT;
	struct reg_host *h = job->host;
	char summary[256], hint[300];

	guard_http_error_summary(resp, summary, sizeof(summary));
	login_hint(hint, sizeof(hint), h);
	if (job->auth_rounds >= AUTH_ROUNDS_MAX || (job->authorization && job->auth_rounds > 0)) {
		job_fail(job, GUARD_ERR_AUTH, "registry '%s' denied access to '%s' (HTTP 401%s%s): %s",
			 h->domain, job->display, summary[0] ? " " : "", summary, hint);
		return;
	}
	job->auth_rounds++;
	if (guard_auth_parse_challenge(resp->www_authenticate.data, &challenge, &err) < 0) {
		guard_error_prefix(&err, "registry '%s' returned 401", h->domain);
		job_fail_copy(job, &err);
		return;
	}
	if (host_load_credential(job->reg, h, &err) < 0) {
		job_fail_copy(job, &err);
		return;
	}
	if (challenge.scheme == GUARD_AUTH_BASIC) {
		if (!h->has_cred || !h->cred.username || !h->cred.password) {
			job_fail(job, GUARD_ERR_AUTH, "registry '%s' requires a login for '%s': %s",
				 h->domain, job->display, hint);
			return;
		}
		if (!h->basic)
			h->basic = guard_auth_basic(h->cred.username, h->cred.password);
		job_set_authorization(job, "", h->basic);
		job_submit(job);
		return;
	}
	if (h->has_cred && h->cred.registry_token) {
		job_set_authorization(job, "Bearer ", h->cred.registry_token);
		job_submit(job);
		return;
	}
	job_need_token(job, &challenge);
}

/* Takes the media type from Content-Type, else the body's mediaType, else
 * the shape of the body. */
static void detect_media_type(struct job *job, const char *content_type, json_t *root)
{
	const char *type = json_string_value(json_object_get(root, "mediaType"));

	if (content_type[0] && strcmp(content_type, "application/json") != 0)
		type = content_type;
	else if (!type && json_object_get(root, "manifests"))
		type = MEDIA_OCI_INDEX;
	else if (!type && json_object_get(root, "config"))
		type = MEDIA_OCI_MANIFEST;
	copy_text(job->media_type, sizeof(job->media_type), type ? type : "");
	job->is_index = media_is_index(job->media_type);
}

/* Splits "os/arch[/variant]". */
static bool platform_split(const char *platform, char *os, char *arch, char *variant, size_t size)
{
	const char *a = strchr(platform, '/');
	const char *v = a ? strchr(a + 1, '/') : NULL;

	if (!a || a == platform || (size_t)(a - platform) >= size)
		return false;
	snprintf(os, size, "%.*s", (int)(a - platform), platform);
	snprintf(arch, size, "%.*s", (int)(v ? v - a - 1 : (long)strlen(a + 1)), a + 1);
	snprintf(variant, size, "%s", v ? v + 1 : "");
	return arch[0] != '\0';
}

bool guard_registry_platform_matches(const char *platform, const char *os, const char *arch,
				     const char *variant)
{
	char want_os[64], want_arch[64], want_variant[64];

	if (!os || !arch || !platform_split(platform, want_os, want_arch, want_variant,
					    sizeof(want_os)))
		return false;
	if (strcmp(os, want_os) != 0 || strcmp(arch, want_arch) != 0)
		return false;
	if (!want_variant[0])
		return true;
	if (variant && strcmp(variant, want_variant) == 0)
		return true;
	/* arm64 and arm64/v8 name the same platform. */
	return strcmp(want_arch, "arm64") == 0 && strcmp(want_variant, "v8") == 0 &&
	       (!variant || !*variant);
}

static bool platform_matches(json_t *entry, const char *platform)
{
	json_t *p = json_object_get(entry, "platform");
	const char *e_os = json_string_value(json_object_get(p, "os"));
	const char *e_arch = json_string_value(json_object_get(p, "architecture"));
	const char *e_variant = json_string_value(json_object_get(p, "variant"));
	const char *ref_type = json_string_value(json_object_get(
		json_object_get(entry, "annotations"), "vnd.docker.reference.type"));

	if (!e_os || !e_arch || ref_type)
		return false;
	if (strcmp(e_os, "unknown") == 0 && strcmp(e_arch, "unknown") == 0)
		return false;
	return guard_registry_platform_matches(platform, e_os, e_arch, e_variant);
}

static void select_platform(struct job *job, json_t *root)
{
	char os[64], arch[64], variant[64];
	json_t *manifests = json_object_get(root, "manifests");
	size_t i;
	json_t *entry;

	if (!platform_split(job->platform, os, arch, variant, sizeof(os))) {
		job_fail(job, GUARD_ERR_USAGE, "invalid platform '%s': expected os/arch[/variant]",
			 job->platform);
		return;
	}
	json_array_foreach(manifests, i, entry) {
		const char *digest = json_string_value(json_object_get(entry, "digest"));
		const char *type = json_string_value(json_object_get(entry, "mediaType"));

		if (!platform_matches(entry, job->platform) || !digest || !guard_digest_valid(digest))
			continue;
		copy_text(job->digest, sizeof(job->digest), digest);
		copy_text(job->media_type, sizeof(job->media_type), type ? type : "");
		job->is_index = media_is_index(job->media_type);
		job->from_index = true;
		job_finish_ok(job);
		return;
	}
	job_fail(job, GUARD_ERR_NOTFOUND, "no %s image in the index of '%s:%s' on '%s'",
		 job->platform, job->display, job->reference, job->host->domain);
}

/* Checks a manifest body: its digest, its schema and its media type. */
static void job_on_manifest_body(struct job *job, struct guard_http_response *resp)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char computed[GUARD_DIGEST_MAX];
	const char *data = resp->body.data ? resp->body.data : "";
	json_t *root;

	if (guard_sha256_digest(data, resp->body.len, computed, &err) < 0) {
		job_fail_copy(job, &err);
		return;
	}
	if (media_is_schema1(resp->content_type)) {
		fail_schema1(job);
		return;
	}
	if (job->reference_is_digest && strcmp(computed, job->reference) != 0) {
		job_fail(job, GUARD_ERR_NETWORK,
			 "manifest '%s' from '%s' has the digest %s: the registry sent other content",
			 job->reference, job->host->domain, computed);
		return;
	}
	if (!job->reference_is_digest && resp->docker_content_digest[0] &&
	    strcmp(resp->docker_content_digest, computed) != 0)
		guard_log_warn("registry '%s' sent Docker-Content-Digest %.100s for '%s:%s' but the "
			       "manifest hashes to %s; using the hash",
			       job->host->domain, resp->docker_content_digest, job->display,
			       job->reference, computed);
	root = json_loadb(data, resp->body.len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		job_fail(job, GUARD_ERR_NETWORK, "manifest of '%s:%s' from '%s' is not a JSON object",
			 job->display, job->reference, job->host->domain);
		return;
	}
	if (json_integer_value(json_object_get(root, "schemaVersion")) == 1) {
		json_decref(root);
		fail_schema1(job);
		return;
	}
	copy_text(job->digest, sizeof(job->digest), computed);
	detect_media_type(job, resp->content_type, root);
	if (job->kind == JOB_RESOLVE && job->platform && job->is_index)
		select_platform(job, root);
	else
		job_finish_ok(job);
	json_decref(root);

	if (job->kind == JOB_MANIFEST && job->error.code == GUARD_OK) {
		guard_buf_release(job->body_out);
		*job->body_out = resp->body;
		guard_buf_init(&resp->body, resp->body.max);
	}
}

static void job_on_head(struct job *job, struct guard_http_response *resp)
{
	if (media_is_schema1(resp->content_type)) {
		fail_schema1(job);
		return;
	}
	if (job->by_digest) {
		copy_text(job->digest, sizeof(job->digest), job->reference);
		copy_text(job->media_type, sizeof(job->media_type), resp->content_type);
		job->is_index = media_is_index(job->media_type);
		job_finish_ok(job);
		return;
	}
	if (!guard_digest_is_sha256(resp->docker_content_digest) || !resp->content_type[0]) {
		/* Old registries omit the digest on HEAD: hash the body instead. */
		job->use_get = true;
		job_submit(job);
		return;
	}
	copy_text(job->digest, sizeof(job->digest), resp->docker_content_digest);
	copy_text(job->media_type, sizeof(job->media_type), resp->content_type);
	job->is_index = media_is_index(job->media_type);
	job_finish_ok(job);
}

static void job_on_blob(struct job *job, struct guard_http_response *resp)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char computed[GUARD_DIGEST_MAX];

	(void)resp;
	if (guard_sha256_final(&job->blob_hash, computed, &err) < 0) {
		job_fail_copy(job, &err);
		return;
	}
	if (job->blob_size >= 0 && job->blob_received != (uint64_t)job->blob_size) {
		job_fail(job, GUARD_ERR_NETWORK, "blob '%s' from '%s' has %llu bytes, expected %lld",
			 job->reference, job->host->domain, (unsigned long long)job->blob_received,
			 (long long)job->blob_size);
		return;
	}
	if (strcmp(computed, job->reference) != 0) {
		job_fail(job, GUARD_ERR_NETWORK, "blob '%s' from '%s' has the digest %s",
			 job->reference, job->host->domain, computed);
		return;
	}
	job_finish_ok(job);
}

static void job_on_not_found(struct job *job, struct guard_http_response *resp)
{
	char summary[256];
	const char *what = "tag";

	if (job->kind == JOB_BLOB)
		what = "blob";
	else if (job->reference_is_digest)
		what = "digest";
	guard_http_error_summary(resp, summary, sizeof(summary));
	job_fail(job, GUARD_ERR_NOTFOUND, "%s '%s' not found in %s%s%s%s", what, job->reference, job->display, summary[0] ? " (" : "", summary,
		 summary[0] ? ")" : "");
}

static void job_on_response(struct guard_http_response *resp, const struct guard_error *error,
			    void *ctx)
{
	struct job *job = ctx;
	char summary[256], hint[300];

	if (error->code != GUARD_OK) {
		job_fail_copy(job, error);
		return;
	}
	if (resp->status == 401) {
		job_on_unauthorized(job, resp);
		return;
	}
	if (resp->status == 404) {
		job_on_not_found(job, resp);
		return;
	}
	guard_http_error_summary(resp, summary, sizeof(summary));
	if (resp->status == 403) {
		login_hint(hint, sizeof(hint), job->host);
		job_fail(job, GUARD_ERR_AUTH, "registry '%s' denied access to '%s' (HTTP 403%s%s): %s",
			 job->host->domain, job->display, summary[0] ? " " : "", summary, hint);
		return;
	}
	if (resp->status == 429) {
		job_fail(job, GUARD_ERR_NETWORK,
			 "registry '%s' is rate limiting requests (HTTP 429%s%s) for '%s:%s': try "
			 "again later, or log in for a higher limit",
			 job->host->domain, summary[0] ? " " : "", summary, job->display,
			 job->reference);
		return;
	}
	if (resp->status < 200 || resp->status >= 300) {
		job_fail(job, GUARD_ERR_NETWORK, "registry '%s' returned HTTP %ld for '%s:%s'%s%s",
			 job->host->domain, resp->status, job->display, job->reference,
			 summary[0] ? ": " : "", summary);
		return;
	}
	if (job->kind == JOB_BLOB)
		job_on_blob(job, resp);
	else if (job->use_get)
		job_on_manifest_body(job, resp);
	else
		job_on_head(job, resp);
}

static int job_init(struct job *job, struct guard_registry *reg, enum job_kind kind,
		    const struct guard_ref *ref, const char *reference, struct guard_error *err)
{
	memset(job, 0, sizeof(*job));
	job->reg = reg;
	job->kind = kind;
	job->ref = ref;
	job->blob_size = -1;
	snprintf(job->reference, sizeof(job->reference), "%s", reference);
	job->reference_is_digest = strchr(reference, ':') != NULL;
	if (job->reference_is_digest && !guard_digest_valid(reference))
		return guard_error_set(err, GUARD_ERR_USAGE, "invalid digest '%.100s'", reference);
	if (host_get(reg, ref->domain, &job->host, err) < 0)
		return -1;
	job->display = guard_ref_repository(ref);
	if (!job->display)
		return guard_error_oom(err);
	return 0;
}

static void job_release(struct job *job)
{
	job_set_authorization(job, "", NULL);
	free(job->display);
	job->display = NULL;
}

/* Runs every started job to completion. When the run stops early, jobs
 * still parked on a token fetch or a ping are forgotten here, because
 * the caller frees them. */
static int registry_run(struct guard_registry *reg, unsigned jobs, struct guard_error *err)
{
	int rc = guard_http_run(reg->http, jobs, err);

	while (reg->fetches) {
		reg->fetches->waiters = NULL;
		fetch_release(reg->fetches);
	}
	/* A host that failed (or whose ping was cut off) is pinged again by
	 * the next call, because the registry may be back by then. */
	for (struct reg_host *h = reg->hosts; h; h = h->next) {
		h->ping_waiters = NULL;
		memset(&h->plain, 0, sizeof(h->plain));
		if (h->state != HOST_READY)
			h->state = HOST_NEW;
	}
	return rc;
}

static char *resolve_key(const struct guard_resolve *r)
{
	struct guard_buf key = GUARD_BUF_INIT(8192);
	char *name = guard_ref_canonical(r->ref, true);
	size_t len;

	if (!name)
		return NULL;
	guard_buf_printf(&key, NULL, "%s#%s#%d", name, r->platform ? r->platform : "", r->by_digest);
	free(name);
	return guard_buf_detach(&key, &len);
}

static void resolve_copy_result(struct guard_resolve *r, const struct job *job)
{
	if (job->error.code != GUARD_OK || !job->finished) {
		r->status = -1;
		guard_error_copy(&r->error, &job->error);
		if (r->error.code == GUARD_OK)
			guard_error_set(&r->error, GUARD_ERR_INTERNAL, "resolution did not finish");
		return;
	}
	r->status = 0;
	guard_error_clear(&r->error);
	memcpy(r->digest, job->digest, sizeof(r->digest));
	memcpy(r->media_type, job->media_type, sizeof(r->media_type));
	r->is_index = job->is_index;
	r->from_index = job->from_index;
}

static void resolve_job_start(struct guard_registry *reg, struct job *job,
			      const struct guard_resolve *r)
{
	struct guard_error err = GUARD_ERROR_INIT;
	const char *reference = r->by_digest ? r->ref->digest
						: r->ref->tag ? r->ref->tag : "latest";

	if (r->by_digest && !r->ref->digest) {
		job->reg = reg;
		job->kind = JOB_RESOLVE;
		job_fail(job, GUARD_ERR_USAGE, "reference has no digest to check");
		return;
	}
	if (job_init(job, reg, JOB_RESOLVE, r->ref, reference, &err) < 0) {
		job_fail_copy(job, &err);
		return;
	}
	job->platform = r->platform;
	job->by_digest = r->by_digest;
	job->use_get = r->platform != NULL && !r->by_digest;
	job_start(job);
}

static uint64_t key_hash(const char *key)
{
	uint64_t hash = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		hash ^= *p;
		hash *= 0x100000001b3ull;
	}
	return hash;
}

/* Sets owner[i] to the first request with the same key as request i, with
 * an open-addressing table so that a batch costs O(count) lookups. Requests
 * without a key (out of memory) own themselves. */
static int find_owners(char **keys, size_t count, size_t *owner, struct guard_error *err)
{
	size_t slots = 16;
	size_t *table;

	while (slots < count * 2)
		slots *= 2;
	table = malloc(slots * sizeof(*table));
	if (!table)
		return guard_error_oom(err);
	for (size_t s = 0; s < slots; s++)
		table[s] = SIZE_MAX;
	for (size_t i = 0; i < count; i++) {
		size_t s;

		owner[i] = i;
		if (!keys[i])
			continue;
		for (s = (size_t)key_hash(keys[i]) & (slots - 1); table[s] != SIZE_MAX;
		     s = (s + 1) & (slots - 1)) {
			if (strcmp(keys[table[s]], keys[i]) == 0) {
				owner[i] = table[s];
				break;
			}
		}
		if (owner[i] == i)
			table[s] = i;
	}
	free(table);
	return 0;
}

int guard_registry_resolve_all(struct guard_registry *reg, struct guard_resolve *requests,
			       size_t count, unsigned jobs, struct guard_error *err)
{
	struct job *list = calloc(count ? count : 1, sizeof(*list));
	char **keys = calloc(count ? count : 1, sizeof(*keys));
	size_t *owner = calloc(count ? count : 1, sizeof(*owner));
	int rc = 0;

	if (!list || !keys || !owner) {
		free(list);
		free(keys);
		free(owner);
		return guard_error_oom(err);
	}
	for (size_t i = 0; i < count; i++)
		keys[i] = resolve_key(&requests[i]);
	if (find_owners(keys, count, owner, err) < 0) {
		for (size_t i = 0; i < count; i++)
			free(keys[i]);
		free(list);
		free(keys);
		free(owner);
		return -1;
	}
	reg->progress_done = 0;
	reg->progress_total = 0;
	for (size_t i = 0; i < count; i++)
		reg->progress_total += owner[i] == i;
	for (size_t i = 0; i < count; i++) {
		if (owner[i] == i)
			resolve_job_start(reg, &list[i], &requests[i]);
	}
	rc = registry_run(reg, jobs, err);
	for (size_t i = 0; i < count; i++) {
		resolve_copy_result(&requests[i], &list[owner[i]]);
		free(keys[i]);
	}
	for (size_t i = 0; i < count; i++)
		job_release(&list[i]);
	free(list);
	free(keys);
	free(owner);
	return rc;
}

int guard_registry_get_manifest(struct guard_registry *reg, const struct guard_ref *ref,
				const char *tag_or_digest, struct guard_buf *body,
				char media_type[128], char digest[GUARD_DIGEST_MAX],
				struct guard_error *err)
{
	struct job job;
	int rc = -1;

	if (job_init(&job, reg, JOB_MANIFEST, ref, tag_or_digest, err) < 0) {
		job_release(&job);
		return -1;
	}
	job.body_out = body;
	job.use_get = true;
	job_start(&job);
	if (registry_run(reg, 1, err) < 0)
		goto done;
	if (!job.finished || job.error.code != GUARD_OK) {
		guard_error_copy(err, &job.error);
		goto done;
	}
	if (media_type)
		memcpy(media_type, job.media_type, 128);
	if (digest)
		memcpy(digest, job.digest, GUARD_DIGEST_MAX);
	rc = 0;
done:
	job_release(&job);
	return rc;
}

int guard_registry_get_blob(struct guard_registry *reg, const struct guard_ref *ref,
			    const char *digest, int64_t size, guard_blob_fn fn, void *ctx,
			    struct guard_error *err)
{
	struct job job;
	int rc = -1;

	if (!guard_digest_is_sha256(digest))
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "cannot verify blob digest '%.100s': only sha256 is supported",
				       digest);
	if (job_init(&job, reg, JOB_BLOB, ref, digest, err) < 0) {
		job_release(&job);
		return -1;
	}
	job.blob_size = size;
	job.blob_fn = fn;
	job.blob_ctx = ctx;
	if (guard_sha256_init(&job.blob_hash, err) < 0) {
		job_release(&job);
		return -1;
	}
	job_start(&job);
	if (registry_run(reg, 1, err) < 0)
		goto done;
	if (!job.finished || job.error.code != GUARD_OK) {
		guard_error_copy(err, &job.error);
		if (err && err->code == GUARD_OK)
			guard_error_set(err, GUARD_ERR_INTERNAL, "blob fetch did not finish");
		goto done;
	}
	rc = 0;
done:
	guard_sha256_release(&job.blob_hash);
	job_release(&job);
	return rc;
}
