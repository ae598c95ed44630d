#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ref.h"
#include "util.h"

/* Body cap of responses that are not 2xx: enough for any JSON error. */
#define HTTP_ERROR_BODY_MAX (64u << 10)
#define HTTP_REDIRECTS_MAX 5
/* The system CA bundle and the extra CA files together. */
#define HTTP_CA_BUNDLE_MAX (16u << 20)
#define HTTP_RATE_LIMIT_LOW 10

/* Timeouts and retry limits. Each can be set from the environment so that
 * tests of stalls and retries finish quickly. */
struct http_settings {
	long connect_timeout_ms;	/* GUARD_HTTP_CONNECT_TIMEOUT_MS, default 10000 */
	long timeout_ms;		/* GUARD_HTTP_TIMEOUT_MS: one buffered attempt, default 60000 */
	long low_speed_seconds;		/* GUARD_HTTP_LOW_SPEED_SECONDS: stall limit of streams, default 30 */
	unsigned attempts;		/* GUARD_HTTP_ATTEMPTS: tries per request, default 4 */
	long retry_base_ms;		/* GUARD_HTTP_RETRY_BASE_MS: first backoff, default 500 */
	long retry_budget_ms;		/* GUARD_HTTP_RETRY_BUDGET_MS: total wait, default 60000 */
};

struct http_transfer {
	struct guard_http *http;
	struct http_transfer *next;	/* in the pending or the running list */
	CURL *easy;
	struct curl_slist *headers;

	char *method;
	char *url;
	char *accept;
	char *authorization;
	char *form;
	size_t max_body;
	guard_http_sink_fn sink;
	void *sink_ctx;
	guard_http_done_fn done;
	void *ctx;

	struct guard_http_response resp;
	struct guard_error error;	/* set by a callback that stopped the transfer */
	char retry_after[128];
	char location[2048];
	char curl_error[CURL_ERROR_SIZE];
	long rate_limit_remaining;	/* -1 when absent */
	bool body_started;
	bool streaming;
	uint64_t streamed;
	unsigned redirects;
	unsigned attempts;
	unsigned max_attempts;
	uint64_t first_start_ms;
	uint64_t not_before_ms;
};

struct guard_http {
	CURLM *multi;
	struct guard_string_list insecure;
	char *ca_bundle;		/* system store + extra CA files, NULL = curl's default */
	size_t ca_bundle_len;
	struct http_settings settings;
	char user_agent[64];
	uint64_t request_count;
	uint64_t jitter_state;		/* xorshift state for backoff jitter */
	struct http_transfer *pending;	/* queued or waiting for a retry */
	struct http_transfer **pending_tail;	/* the next field of the last pending transfer */
	struct http_transfer *running;	/* added to the multi handle */
	unsigned active;
};

static long env_long(const char *name, long fallback, long min, long max)
{
	const char *text = getenv(name);
	uint64_t value;

	if (!text || !*text)
		return fallback;
	if (guard_parse_u64(text, (uint64_t)min, (uint64_t)max, &value, name, NULL) < 0) {
		guard_log_warn("ignoring %s='%s': expected a number from %ld to %ld", name, text,
			       min, max);
		return fallback;
	}
	return (long)value;
}

static void settings_from_env(struct http_settings *s)
{
	s->connect_timeout_ms = env_long("GUARD_HTTP_CONNECT_TIMEOUT_MS", 10000, 1, 600000);
	s->timeout_ms = env_long("GUARD_HTTP_TIMEOUT_MS", 60000, 1, 3600000);
	s->low_speed_seconds = env_long("GUARD_HTTP_LOW_SPEED_SECONDS", 30, 1, 3600);
	s->attempts = (unsigned)env_long("GUARD_HTTP_ATTEMPTS", 4, 1, 20);
	s->retry_base_ms = env_long("GUARD_HTTP_RETRY_BASE_MS", 500, 0, 60000);
	s->retry_budget_ms = env_long("GUARD_HTTP_RETRY_BUDGET_MS", 60000, 0, 3600000);
}

void guard_http_response_init(struct guard_http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	guard_buf_init(&resp->body, GUARD_HTTP_BODY_MAX);
	guard_buf_init(&resp->www_authenticate, 16384);
	resp->content_length = -1;
}

void guard_http_response_release(struct guard_http_response *resp)
{
	guard_buf_release(&resp->body);
	guard_buf_release(&resp->www_authenticate);
}

/* Reads the system CA bundle that libcurl would use and appends the extra
 * files, because CURLOPT_CAINFO_BLOB replaces the default store. */
static int load_ca_bundle(struct guard_http *http, const struct guard_string_list *ca_files,
			  struct guard_error *err)
{
	struct guard_buf bundle = GUARD_BUF_INIT(HTTP_CA_BUNDLE_MAX);
	const char *system_path = NULL;
	CURL *probe = curl_easy_init();
	char *data;
	size_t len;

	if (probe) {
		curl_easy_getinfo(probe, CURLINFO_CAINFO, &system_path);
		if (system_path)
			system_path = strdup(system_path);
		curl_easy_cleanup(probe);
	}
	if (!system_path)
		system_path = strdup("/etc/ssl/certs/ca-certificates.crt");
	if (system_path && guard_read_file(system_path, HTTP_CA_BUNDLE_MAX, &data, &len, NULL) == 0) {
		if (guard_buf_append(&bundle, data, len, err) < 0 ||
		    guard_buf_putc(&bundle, '\n', err) < 0) {
			free(data);
			free((char *)system_path);
			guard_buf_release(&bundle);
			return -1;
		}
		free(data);
	}
	free((char *)system_path);

	for (size_t i = 0; i < ca_files->count; i++) {
		if (guard_read_file(ca_files->items[i], HTTP_CA_BUNDLE_MAX, &data, &len, err) < 0) {
			guard_buf_release(&bundle);
			return guard_error_prefix(err, "reading CA file '%s'", ca_files->items[i]);
		}
		if (guard_buf_append(&bundle, data, len, err) < 0 ||
		    guard_buf_putc(&bundle, '\n', err) < 0) {
			free(data);
			guard_buf_release(&bundle);
			return guard_error_prefix(err, "reading CA file '%s'", ca_files->items[i]);
		}
		free(data);
	}
	http->ca_bundle = guard_buf_detach(&bundle, &http->ca_bundle_len);
	return http->ca_bundle ? 0 : guard_error_oom(err);
}

/* Copies an insecure host, dropping a scheme and a trailing slash. */
static int add_insecure(struct guard_http *http, const char *entry, struct guard_error *err)
{
	char host[512];
	const char *p = strstr(entry, "://");
	size_t len;

	p = p ? p + 3 : entry;
	len = strcspn(p, "/");
	if (len == 0 || len >= sizeof(host))
		return 0;
	memcpy(host, p, len);
	host[len] = '\0';
	for (char *q = host; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return guard_string_list_add(&http->insecure, host, err);
}

int guard_http_new(struct guard_http **out, const struct guard_string_list *insecure,
		   const struct guard_string_list *ca_files, struct guard_error *err)
{
	struct guard_http *http = calloc(1, sizeof(*http));

	if (!http)
		return guard_error_oom(err);
	settings_from_env(&http->settings);
	http->jitter_state = guard_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	snprintf(http->user_agent, sizeof(http->user_agent), "guard/%s", GUARD_VERSION);
	for (size_t i = 0; insecure && i < insecure->count; i++) {
		if (add_insecure(http, insecure->items[i], err) < 0) {
			guard_http_free(http);
			return -1;
		}
	}
	if (ca_files && ca_files->count > 0 && load_ca_bundle(http, ca_files, err) < 0) {
		guard_http_free(http);
		return -1;
	}
	http->multi = curl_multi_init();
	if (!http->multi) {
		guard_http_free(http);
		return guard_error_set(err, GUARD_ERR_INTERNAL, "libcurl multi handle failed");
	}
	curl_multi_setopt(http->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	http->pending_tail = &http->pending;
	*out = http;
	return 0;
}

static void transfer_free(struct http_transfer *t)
{
	if (!t)
		return;
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	if (t->authorization)
		guard_wipe(t->authorization, strlen(t->authorization));
	if (t->form)
		guard_wipe(t->form, strlen(t->form));
	free(t->method);
	free(t->url);
	free(t->accept);
	free(t->authorization);
	free(t->form);
	guard_http_response_release(&t->resp);
	free(t);
}

void guard_http_free(struct guard_http *http)
{
	if (!http)
		return;
	while (http->pending) {
		struct http_transfer *t = http->pending;

		http->pending = t->next;
		transfer_free(t);
	}
	while (http->running) {
		struct http_transfer *t = http->running;

		http->running = t->next;
		curl_multi_remove_handle(http->multi, t->easy);
		transfer_free(t);
	}
	if (http->multi)
		curl_multi_cleanup(http->multi);
	guard_string_list_release(&http->insecure);
	free(http->ca_bundle);
	free(http);
}

uint64_t guard_http_request_count(const struct guard_http *http)
{
	return http->request_count;
}

/* True when a host entry carries its own port ("h:5000", "[::1]:5000"). */
static bool entry_has_port(const char *entry)
{
	if (entry[0] == '[')
		return strstr(entry, "]:") != NULL;
	return strchr(entry, ':') != NULL;
}

bool guard_http_host_insecure(const struct guard_http *http, const char *host)
{
	size_t name_len = strlen(host);
	const char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');

	if (colon && host[0] == '[')
		colon++;
	if (colon)
		name_len = (size_t)(colon - host);
	for (size_t i = 0; i < http->insecure.count; i++) {
		const char *entry = http->insecure.items[i];

		if (strcasecmp(entry, host) == 0)
			return true;
		/* An entry without a port allows every port of that host. */
		if (!entry_has_port(entry) && strlen(entry) == name_len &&
		    strncasecmp(entry, host, name_len) == 0)
			return true;
	}
	return false;
}

/* Splits url into scheme and "host[:port]". */
static int url_parts(const char *url, char *scheme, size_t scheme_size, char *host,
		     size_t host_size, struct guard_error *err)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL, *p = NULL;
	int rc = 0;

	if (!u)
		return guard_error_oom(err);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		rc = guard_error_set(err, GUARD_ERR_PARSE, "invalid URL '%.200s'", url);
		goto done;
	}
	curl_url_get(u, CURLUPART_PORT, &p, 0);
	snprintf(scheme, scheme_size, "%s", s);
	if (p)
		snprintf(host, host_size, "%s:%s", h, p);
	else
		snprintf(host, host_size, "%s", h);
done:
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

int guard_http_check_url(const struct guard_http *http, const char *url, bool credentials,
			 struct guard_error *err)
{
	char scheme[16], host[512];

	if (url_parts(url, scheme, sizeof(scheme), host, sizeof(host), err) < 0)
		return -1;
	if (strcasecmp(scheme, "https") == 0)
		return 0;
	if (strcasecmp(scheme, "http") != 0)
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "unsupported URL scheme '%s' in '%.200s': use https", scheme,
				       url);
	if (guard_host_is_loopback(host))
		return 0;
	if (!guard_http_host_insecure(http, host))
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "plain HTTP to '%s' is not allowed: use https, or list the "
				       "host with --insecure-registry", host);
	if (credentials)
		return guard_error_set(err, GUARD_ERR_AUTH,
				       "refusing to send credentials over plain HTTP to '%s': "
				       "credentials go only over https or to loopback", host);
	return 0;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	*value = line + n + 1;
	while (*value < line + len && (**value == ' ' || **value == '\t'))
		(*value)++;
	return true;
}

/* Copies a header value without the trailing CR LF into out. */
static void copy_value(char *out, size_t size, const char *value, const char *end)
{
	size_t len;

	while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	len = (size_t)(end - value);
	if (len >= size)
		len = size - 1;
	memcpy(out, value, len);
	out[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t count, void *userdata)
{
	struct http_transfer *t = userdata;
	size_t len = size * count;
	const char *end = data + len;
	const char *value;
	char number[32];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue or a proxy): start over. */
		t->resp.content_type[0] = '\0';
		t->resp.docker_content_digest[0] = '\0';
		guard_buf_truncate(&t->resp.www_authenticate, 0);
		t->retry_after[0] = '\0';
		t->location[0] = '\0';
		t->resp.content_length = -1;
		t->rate_limit_remaining = -1;
		return len;
	}
	if (header_is(data, len, "Content-Type", &value)) {
		copy_value(t->resp.content_type, sizeof(t->resp.content_type), value, end);
		t->resp.content_type[strcspn(t->resp.content_type, "; ")] = '\0';
	} else if (header_is(data, len, "Docker-Content-Digest", &value)) {
		copy_value(t->resp.docker_content_digest, sizeof(t->resp.docker_content_digest),
			   value, end);
	} else if (header_is(data, len, "WWW-Authenticate", &value)) {
		char challenge[4096];

		copy_value(challenge, sizeof(challenge), value, end);
		if (t->resp.www_authenticate.len > 0)
			guard_buf_puts(&t->resp.www_authenticate, ", ", NULL);
		guard_buf_puts(&t->resp.www_authenticate, challenge, NULL);
	} else if (header_is(data, len, "Retry-After", &value)) {
		copy_value(t->retry_after, sizeof(t->retry_after), value, end);
	} else if (header_is(data, len, "Location", &value)) {
		copy_value(t->location, sizeof(t->location), value, end);
	} else if (header_is(data, len, "Content-Length", &value)) {
		uint64_t n;

		copy_value(number, sizeof(number), value, end);
		if (guard_parse_u64(number, 0, INT64_MAX, &n, "Content-Length", NULL) == 0)
			t->resp.content_length = (int64_t)n;
	} else if (header_is(data, len, "RateLimit-Remaining", &value)) {
		/* "7;w=21600": the leading number is what is left. */
		copy_value(number, sizeof(number), value, end);
		number[strspn(number, "0123456789")] = '\0';
		if (number[0])
			t->rate_limit_remaining = strtol(number, NULL, 10);
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t count, void *userdata)
{
	struct http_transfer *t = userdata;
	size_t len = size * count;

	if (!t->body_started) {
		long status = 0;

		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
		t->body_started = true;
		t->streaming = t->sink && status >= 200 && status < 300;
		t->resp.body.max = (status >= 200 && status < 300) ? t->max_body : HTTP_ERROR_BODY_MAX;
	}
	if (t->streaming) {
		if (t->sink(data, len, t->sink_ctx, &t->error) < 0) {
			if (t->error.code == GUARD_OK)
				guard_error_set(&t->error, GUARD_ERR_INTERNAL, "body consumer failed");
			return 0;
		}
		t->streamed += len;
		return len;
	}
	if (guard_buf_append(&t->resp.body, data, len, NULL) < 0) {
		guard_error_set(&t->error, GUARD_ERR_LIMIT,
				"response from '%.200s' is larger than %zu bytes", t->url, t->resp.body.max);
		return 0;
	}
	return len;
}

static struct curl_blob *ca_blob(struct guard_http *http, struct curl_blob *blob)
{
	blob->data = http->ca_bundle;
	blob->len = http->ca_bundle_len;
	blob->flags = CURL_BLOB_NOCOPY;
	return blob;
}

static int add_header(struct http_transfer *t, const char *name, const char *value,
		      struct guard_error *err)
{
	struct guard_buf line = GUARD_BUF_INIT(65536);
	struct curl_slist *list;

	if (guard_buf_printf(&line, err, "%s: %s", name, value) < 0)
		return -1;
	list = curl_slist_append(t->headers, line.data);
	guard_buf_release_secret(&line);
	if (!list)
		return guard_error_oom(err);
	t->headers = list;
	return 0;
}

static int transfer_setup(struct http_transfer *t, struct guard_error *err)
{
	struct guard_http *http = t->http;
	struct curl_blob blob;
	char scheme[16], host[512];
	CURL *e;

	if (url_parts(t->url, scheme, sizeof(scheme), host, sizeof(host), err) < 0)
		return -1;
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	t->easy = e = curl_easy_init();
	if (!e)
		return guard_error_set(err, GUARD_ERR_INTERNAL, "libcurl easy handle failed");

	if (t->accept && add_header(t, "Accept", t->accept, err) < 0)
		return -1;
	if (t->authorization && add_header(t, "Authorization", t->authorization, err) < 0)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, t->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, http->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, http->settings.connect_timeout_ms);
	if (t->sink) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, http->settings.low_speed_seconds);
	} else {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, http->settings.timeout_ms);
	}
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
	t->curl_error[0] = '\0';
	if (strcmp(t->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(t->method, "POST") == 0) {
		if (add_header(t, "Content-Type", "application/x-www-form-urlencoded", err) < 0)
			return -1;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->form ? t->form : "");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	if (guard_http_host_insecure(http, host)) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (http->ca_bundle) {
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, ca_blob(http, &blob));
	}

	guard_http_response_release(&t->resp);
	guard_http_response_init(&t->resp);
	t->resp.body.max = t->max_body;
	t->body_started = false;
	t->streaming = false;
	t->rate_limit_remaining = -1;
	t->retry_after[0] = '\0';
	t->location[0] = '\0';
	return 0;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		*failed = true;
	return copy;
}

int guard_http_submit(struct guard_http *http, const struct guard_http_request *req,
		      guard_http_done_fn done, void *ctx, struct guard_error *err)
{
	struct http_transfer *t = calloc(1, sizeof(*t));
	bool failed = false;

	if (!t)
		return guard_error_oom(err);
	t->http = http;
	t->method = dup_or_null(req->method ? req->method : "GET", &failed);
	t->url = dup_or_null(req->url, &failed);
	t->accept = dup_or_null(req->accept, &failed);
	t->authorization = dup_or_null(req->authorization, &failed);
	t->form = dup_or_null(req->form, &failed);
	t->max_body = req->max_body ? req->max_body : GUARD_HTTP_BODY_MAX;
	t->max_attempts = req->max_attempts ? req->max_attempts : http->settings.attempts;
	t->sink = req->sink;
	t->sink_ctx = req->sink_ctx;
	t->done = done;
	t->ctx = ctx;
	guard_http_response_init(&t->resp);
	if (failed || !t->url) {
		transfer_free(t);
		return failed ? guard_error_oom(err)
			      : guard_error_set(err, GUARD_ERR_INTERNAL, "request without a URL");
	}
	if (guard_http_check_url(http, t->url, t->authorization != NULL, err) < 0) {
		transfer_free(t);
		return -1;
	}
	t->first_start_ms = guard_now_ms();
	*http->pending_tail = t;
	http->pending_tail = &t->next;
	return 0;
}

static bool status_retryable(long status)
{
	return status == 429 || (status >= 500 && status != 501 && status != 505);
}

static bool result_retryable(CURLcode result)
{
	switch (result) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Exponential backoff with jitter: base * 2^(attempt-1), scaled by 0.5-1.5,
 * so that clients that failed together do not retry together. */
static uint64_t backoff_ms(struct guard_http *http, unsigned attempt)
{
	const struct http_settings *s = &http->settings;
	uint64_t delay = (uint64_t)s->retry_base_ms;
	double jitter;

	http->jitter_state ^= http->jitter_state << 13;
	http->jitter_state ^= http->jitter_state >> 7;
	http->jitter_state ^= http->jitter_state << 17;
	jitter = 0.5 + (double)(http->jitter_state % 1000) / 1000.0;

	for (unsigned i = 1; i < attempt && delay < 30000; i++)
		delay *= 2;
	if (delay > 30000)
		delay = 30000;
	return (uint64_t)((double)delay * jitter);
}

int64_t guard_http_parse_retry_after(const char *value, int64_t now_seconds)
{
	uint64_t seconds;
	time_t when;

	if (!value || !*value)
		return -1;
	if (guard_parse_u64(value, 0, 86400 * 7, &seconds, "Retry-After", NULL) == 0)
		return (int64_t)seconds * 1000;
	when = curl_getdate(value, NULL);
	if (when == (time_t)-1)
		return -1;
	if ((int64_t)when <= now_seconds)
		return 0;
	return ((int64_t)when - now_seconds) * 1000;
}

/* Decides whether to try again; returns true and schedules the retry. */
static bool schedule_retry(struct http_transfer *t, CURLcode result)
{
	const struct http_settings *s = &t->http->settings;
	uint64_t now = guard_now_ms();
	int64_t delay;
	bool retryable;

	if (t->error.code != GUARD_OK || t->streamed > 0)
		return false;
	retryable = result != CURLE_OK ? result_retryable(result) : status_retryable(t->resp.status);
	if (!retryable || t->attempts >= t->max_attempts)
		return false;

	delay = guard_http_parse_retry_after(t->retry_after, (int64_t)time(NULL));
	if (delay < 0)
		delay = (int64_t)backoff_ms(t->http, t->attempts);
	if (now + (uint64_t)delay > t->first_start_ms + (uint64_t)s->retry_budget_ms) {
		guard_log_debug("not retrying '%s': the wait of %lld ms exceeds the retry budget",
				t->url, (long long)delay);
		return false;
	}
	guard_log_info("retrying '%s' in %lld ms (attempt %u of %u)", t->url, (long long)delay,
		       t->attempts + 1, t->max_attempts);
	t->not_before_ms = now + (uint64_t)delay;
	return true;
}

static void queue_front(struct guard_http *http, struct http_transfer *t)
{
	t->next = http->pending;
	if (!http->pending)
		http->pending_tail = &t->next;
	http->pending = t;
}

/* Unlinks the pending transfer *link. */
static void pending_remove(struct guard_http *http, struct http_transfer **link)
{
	struct http_transfer *t = *link;

	*link = t->next;
	if (http->pending_tail == &t->next)
		http->pending_tail = link;
	t->next = NULL;
}

/* Follows a redirect by hand so that the policy check runs on the target
 * and the Authorization header goes only to the same scheme, host and port. */
static bool follow_redirect(struct http_transfer *t)
{
	char old_scheme[16], old_host[512], new_scheme[16], new_host[512];
	struct guard_error err = GUARD_ERROR_INIT;
	CURLU *u;
	char *target = NULL;
	long status = t->resp.status;

	if (!(status == 301 || status == 302 || status == 303 || status == 307 || status == 308) ||
	    !t->location[0])
		return false;
	if (t->redirects >= HTTP_REDIRECTS_MAX) {
		guard_error_set(&t->error, GUARD_ERR_NETWORK, "too many redirects from '%.200s'",
				t->url);
		return false;
	}
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, t->url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, t->location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &target, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		guard_error_set(&t->error, GUARD_ERR_NETWORK, "invalid redirect from '%.200s'",
				t->url);
		return false;
	}
	curl_url_cleanup(u);
	if (url_parts(t->url, old_scheme, sizeof(old_scheme), old_host, sizeof(old_host), &err) < 0 ||
	    url_parts(target, new_scheme, sizeof(new_scheme), new_host, sizeof(new_host), &err) < 0) {
		curl_free(target);
		guard_error_copy(&t->error, &err);
		return false;
	}
	if (t->authorization && (strcasecmp(old_scheme, new_scheme) != 0 ||
				 strcasecmp(old_host, new_host) != 0)) {
		guard_wipe(t->authorization, strlen(t->authorization));
		free(t->authorization);
		t->authorization = NULL;
	}
	if (guard_http_check_url(t->http, target, t->authorization != NULL, &err) < 0) {
		curl_free(target);
		guard_error_copy(&t->error, &err);
		guard_error_prefix(&t->error, "redirect from '%.200s'", t->url);
		return false;
	}
	free(t->url);
	t->url = strdup(target);
	curl_free(target);
	if (!t->url) {
		guard_error_oom(&t->error);
		return false;
	}
	if (status == 303 && strcmp(t->method, "HEAD") != 0) {
		free(t->method);
		t->method = strdup("GET");
		if (!t->method) {
			guard_error_oom(&t->error);
			return false;
		}
	}
	/* Each hop gets the full number of attempts; HTTP_REDIRECTS_MAX bounds
	 * the chain. */
	t->redirects++;
	t->attempts = 0;
	return true;
}

static void warn_rate_limit(const struct http_transfer *t)
{
	char scheme[16], host[512];

	if (t->rate_limit_remaining < 0 || t->rate_limit_remaining > HTTP_RATE_LIMIT_LOW)
		return;
	if (url_parts(t->url, scheme, sizeof(scheme), host, sizeof(host), NULL) < 0)
		return;
	guard_log_warn_once(host, "registry '%s' reports %ld requests left in its rate limit",
			    host, t->rate_limit_remaining);
}

static void transport_error(struct http_transfer *t, CURLcode result)
{
	char scheme[16], host[512];
	const char *detail = t->curl_error[0] ? t->curl_error : curl_easy_strerror(result);

	if (url_parts(t->url, scheme, sizeof(scheme), host, sizeof(host), NULL) < 0)
		snprintf(host, sizeof(host), "%s", "?");
	if (result == CURLE_PEER_FAILED_VERIFICATION)
		guard_error_set(&t->error, GUARD_ERR_NETWORK,
				"TLS certificate of '%s' is not trusted: %s; add its CA with --ca-file, "
				"or list the host with --insecure-registry", host, detail);
	else if (result == CURLE_OPERATION_TIMEDOUT)
		guard_error_set(&t->error, GUARD_ERR_NETWORK, "request to '%s' timed out: %s", host,
				detail);
	else
		guard_error_set(&t->error, GUARD_ERR_NETWORK, "cannot reach '%s': %s", host, detail);
}

/* Handles one finished transfer: retry, redirect or deliver. */
static void transfer_finished(struct guard_http *http, struct http_transfer *t, CURLcode result)
{
	char *effective = NULL;

	curl_multi_remove_handle(http->multi, t->easy);
	http->active--;
	for (struct http_transfer **link = &http->running; *link; link = &(*link)->next) {
		if (*link == t) {
			*link = t->next;
			break;
		}
	}
	t->next = NULL;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->resp.status);
	if (result != CURLE_OK)
		t->resp.status = 0;
	if (schedule_retry(t, result)) {
		queue_front(http, t);
		return;
	}
	if (result == CURLE_OK && follow_redirect(t)) {
		t->not_before_ms = 0;
		queue_front(http, t);
		return;
	}
	if (result != CURLE_OK && t->error.code == GUARD_OK)
		transport_error(t, result);
	warn_rate_limit(t);
	curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &effective);
	snprintf(t->resp.url, sizeof(t->resp.url), "%s", effective ? effective : t->url);
	t->resp.tls_handshake_failed = result == CURLE_SSL_CONNECT_ERROR;
	t->resp.attempts = t->attempts;
	t->done(&t->resp, &t->error, t->ctx);
	transfer_free(t);
}

/* Starts pending transfers whose time has come, up to the limit. */
static void start_ready(struct guard_http *http, unsigned max_in_flight, uint64_t *wait_ms)
{
	struct http_transfer **link = &http->pending;
	uint64_t now = guard_now_ms();

	while (*link && http->active < max_in_flight) {
		struct http_transfer *t = *link;

		if (t->not_before_ms > now) {
			uint64_t left = t->not_before_ms - now;

			if (left < *wait_ms)
				*wait_ms = left;
			link = &t->next;
			continue;
		}
		pending_remove(http, link);
		if (transfer_setup(t, &t->error) < 0 ||
		    curl_multi_add_handle(http->multi, t->easy) != CURLM_OK) {
			if (t->error.code == GUARD_OK)
				guard_error_set(&t->error, GUARD_ERR_INTERNAL, "libcurl rejected a transfer");
			t->done(&t->resp, &t->error, t->ctx);
			transfer_free(t);
			continue;
		}
		t->attempts++;
		http->request_count++;
		http->active++;
		t->next = http->running;
		http->running = t;
		guard_log_debug("%s %s", t->method, t->url);
	}
}

/* Drops every queued and running transfer without calling its callback,
 * after a failure of the multi handle itself. */
static int abandon_all(struct guard_http *http, struct guard_error *err)
{
	while (http->running) {
		struct http_transfer *t = http->running;

		http->running = t->next;
		curl_multi_remove_handle(http->multi, t->easy);
		transfer_free(t);
	}
	while (http->pending) {
		struct http_transfer *t = http->pending;

		http->pending = t->next;
		transfer_free(t);
	}
	http->pending_tail = &http->pending;
	http->active = 0;
	return guard_error_set(err, GUARD_ERR_INTERNAL, "libcurl multi transfer failed");
}

int guard_http_run(struct guard_http *http, unsigned max_in_flight, struct guard_error *err)
{
	if (max_in_flight == 0)
		max_in_flight = 8;
	while (http->pending || http->active > 0) {
		uint64_t wait_ms = 1000;
		int running = 0;
		int left;
		CURLMsg *msg;

		start_ready(http, max_in_flight, &wait_ms);
		if (curl_multi_perform(http->multi, &running) != CURLM_OK)
			return abandon_all(http, err);
		while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
			struct http_transfer *t = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			transfer_finished(http, t, msg->data.result);
		}
		if (http->active == 0 && !http->pending)
			break;
		if (http->active < max_in_flight && http->pending)
			start_ready(http, max_in_flight, &wait_ms);
		curl_multi_poll(http->multi, NULL, 0, (int)wait_ms, NULL);
	}
	return 0;
}

struct perform_result {
	struct guard_http_response *resp;
	struct guard_error error;
	bool responded;
};

static void perform_done(struct guard_http_response *resp, const struct guard_error *error,
			 void *ctx)
{
	struct perform_result *r = ctx;

	if (error->code != GUARD_OK) {
		guard_error_copy(&r->error, error);
		return;
	}
	r->responded = true;
	r->resp->status = resp->status;
	r->resp->content_length = resp->content_length;
	r->resp->attempts = resp->attempts;
	memcpy(r->resp->content_type, resp->content_type, sizeof(resp->content_type));
	memcpy(r->resp->docker_content_digest, resp->docker_content_digest,
	       sizeof(resp->docker_content_digest));
	memcpy(r->resp->url, resp->url, sizeof(resp->url));
	guard_buf_release(&r->resp->body);
	guard_buf_release(&r->resp->www_authenticate);
	r->resp->body = resp->body;
	r->resp->www_authenticate = resp->www_authenticate;
	guard_buf_init(&resp->body, resp->body.max);
	guard_buf_init(&resp->www_authenticate, resp->www_authenticate.max);
}

int guard_http_perform(struct guard_http *http, const struct guard_http_request *req,
		       struct guard_http_response *resp, struct guard_error *err)
{
	struct perform_result r = { resp, GUARD_ERROR_INIT, false };

	if (guard_http_submit(http, req, perform_done, &r, err) < 0)
		return -1;
	if (guard_http_run(http, 1, err) < 0)
		return -1;
	if (!r.responded) {
		guard_error_copy(err, &r.error);
		return -1;
	}
	return 0;
}

/* Copies printable ASCII, turning runs of other bytes into one space, and
 * marks a cut with "...". */
static void sanitize_excerpt(const char *data, size_t len, char *out, size_t size)
{
	size_t n = 0;
	size_t i;
	bool space = false;

	for (i = 0; i < len && n + 5 < size; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c > 0x20 && c < 0x7f) {
			if (space && n > 0)
				out[n++] = ' ';
			space = false;
			out[n++] = (char)c;
		} else {
			space = true;
		}
	}
	if (i < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

void guard_http_error_summary(const struct guard_http_response *resp, char *out, size_t size)
{
	json_t *root;
	json_t *first;
	const char *code;
	const char *message;
	char excerpt[160];

	out[0] = '\0';
	if (!resp || resp->body.len == 0)
		return;
	root = json_loadb(resp->body.data, resp->body.len, 0, NULL);
	first = root ? json_array_get(json_object_get(root, "errors"), 0) : NULL;
	code = json_string_value(json_object_get(first, "code"));
	message = json_string_value(json_object_get(first, "message"));
	if (code || message) {
		char safe_code[64], safe_message[200];

		sanitize_excerpt(code ? code : "", code ? strlen(code) : 0, safe_code,
				 sizeof(safe_code));
		sanitize_excerpt(message ? message : "", message ? strlen(message) : 0,
				 safe_message, sizeof(safe_message));
		snprintf(out, size, "%s%s%s", safe_code, code && message ? ": " : "", safe_message);
		json_decref(root);
		return;
	}
	json_decref(root);
	sanitize_excerpt(resp->body.data, resp->body.len < 400 ? resp->body.len : 400, excerpt,
			 sizeof(excerpt));
	snprintf(out, size, "'%s'", excerpt);
}
