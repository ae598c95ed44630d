/* An HTTP client on libcurl's multi interface: bounded parallelism, retries
 * with backoff, body caps, TLS with extra CA files, and the plain-HTTP and
 * credential policy shared by every registry request. */
#ifndef GUARD_HTTP_H
#define GUARD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"

/* Default cap of a buffered body (manifests, token responses, error bodies). */
#define GUARD_HTTP_BODY_MAX (4u << 20)

struct guard_http;

/* Receives the body of a 2xx response as it arrives, instead of buffering it.
 * Returning -1 with err set stops the transfer without a retry. */
typedef int (*guard_http_sink_fn)(const void *data, size_t len, void *ctx,
				  struct guard_error *err);

struct guard_http_request {
	const char *method;		/* "GET" (default), "HEAD" or "POST" */
	const char *url;
	const char *accept;		/* Accept header value, or NULL */
	const char *authorization;	/* "Bearer ..." or "Basic ...", or NULL; dropped on a
					 * redirect to another scheme, host or port */
	const char *form;		/* POST body (application/x-www-form-urlencoded) */
	size_t max_body;		/* 0 = GUARD_HTTP_BODY_MAX */
	unsigned max_attempts;		/* 0 = GUARD_HTTP_ATTEMPTS (default 4) */
	guard_http_sink_fn sink;	/* streams 2xx bodies when set */
	void *sink_ctx;
};

struct guard_http_response {
	long status;			/* 0 when no HTTP response arrived */
	struct guard_buf body;		/* empty for HEAD and streamed bodies */
	char content_type[256];		/* without parameters */
	char docker_content_digest[160];
	struct guard_buf www_authenticate;	/* all challenge headers, joined by ", " */
	char url[2048];			/* the URL of the final response (after redirects) */
	int64_t content_length;		/* -1 when unknown */
	unsigned attempts;
	bool tls_handshake_failed;	/* no TLS session: the server may speak plain HTTP */
};

void guard_http_response_init(struct guard_http_response *resp);
void guard_http_response_release(struct guard_http_response *resp);

/* Creates a client. insecure lists hosts ("host" or "host:port") that may be
 * reached over plain HTTP and whose certificates are not verified. ca_files
 * are trusted in addition to the system store. Both may be NULL. Timeouts and
 * retries come from GUARD_HTTP_* environment variables (see http.c). */
int guard_http_new(struct guard_http **out, const struct guard_string_list *insecure,
		   const struct guard_string_list *ca_files, struct guard_error *err);
void guard_http_free(struct guard_http *http);

/* Called once per request with the final response (after retries and
 * redirects). error->code is not GUARD_OK when no usable response arrived;
 * resp is then only informative (status 0). The response is released after
 * the call, so move what you keep. */
typedef void (*guard_http_done_fn)(struct guard_http_response *resp,
				   const struct guard_error *error, void *ctx);

/* Queues a request; it starts in guard_http_run. The request's strings are
 * copied. */
int guard_http_submit(struct guard_http *http, const struct guard_http_request *req,
		      guard_http_done_fn done, void *ctx, struct guard_error *err);

/* Runs queued requests with at most max_in_flight transfers at a time (0 =
 * 8) until none is left; done callbacks may submit more. */
int guard_http_run(struct guard_http *http, unsigned max_in_flight, struct guard_error *err);

/* Runs one request to completion. On success resp contains the final
 * response, whatever its status; -1 only when no response arrived. */
int guard_http_perform(struct guard_http *http, const struct guard_http_request *req,
		       struct guard_http_response *resp, struct guard_error *err);

/* Checks url against the transport policy: http or https only; plain HTTP
 * only to loopback or insecure hosts; credentials over plain HTTP only to
 * loopback. Fails with GUARD_ERR_USAGE (plain HTTP), GUARD_ERR_AUTH
 * (credentials over plain HTTP) or GUARD_ERR_PARSE (URL). */
int guard_http_check_url(const struct guard_http *http, const char *url, bool credentials,
			 struct guard_error *err);

/* True when host ("name" or "name:port") is in the insecure list. */
bool guard_http_host_insecure(const struct guard_http *http, const char *host);

/* Writes a short description of an error response into out: "CODE: message"
 * from a registry error body, otherwise a sanitized excerpt of the body. */
void guard_http_error_summary(const struct guard_http_response *resp, char *out, size_t size);

/* Parses a Retry-After value (seconds or an HTTP date) into milliseconds
 * from now; -1 when it cannot be parsed. */
int64_t guard_http_parse_retry_after(const char *value, int64_t now_seconds);

/* Number of HTTP requests sent, including retries and redirects. */
uint64_t guard_http_request_count(const struct guard_http *http);

#endif
