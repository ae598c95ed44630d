/* Challenge parsing, token requests, the token cache and the HTTP policy. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "tap.h"

struct challenge_case {
	const char *header;
	int rc;
	enum guard_auth_scheme scheme;
	const char *realm;
	const char *service;
	const char *scope;
};

static const struct challenge_case challenge_cases[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	  "scope=\"repository:library/alpine:pull\"",
	  0, GUARD_AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io",
	  "repository:library/alpine:pull" },
	{ "Bearer realm=https://gcr.io/v2/token,service=gcr.io", 0, GUARD_AUTH_BEARER,
	  "https://gcr.io/v2/token", "gcr.io", "" },
	{ "Bearer realm=\"https://r/token\",scope=\"repository:a/b:pull,push\"", 0, GUARD_AUTH_BEARER,
	  "https://r/token", "", "repository:a/b:pull,push" },
	{ "bearer Realm=\"https://r/t\" , Service=\"s\"", 0, GUARD_AUTH_BEARER, "https://r/t", "s",
	  "" },
	{ "Basic realm=\"probe-realm\"", 0, GUARD_AUTH_BASIC, "probe-realm", "", "" },
	{ "Basic realm=\"x\", Bearer realm=\"https://r/token\",service=\"svc\"", 0,
	  GUARD_AUTH_BEARER, "https://r/token", "svc", "" },
	{ "Bearer realm=\"https://r/token\",service=\"svc\", Basic realm=\"x\"", 0,
	  GUARD_AUTH_BEARER, "https://r/token", "svc", "" },
	{ "Bearer realm=\"https://r/a\\\"b\",service=\"s\"", 0, GUARD_AUTH_BEARER, "https://r/a\"b",
	  "s", "" },
	{ "Negotiate, Basic realm=\"b\"", 0, GUARD_AUTH_BASIC, "b", "", "" },
	{ "Bearer realm=\"https://r/token\",error=\"insufficient_scope\",scope=\"repository:x:pull\"",
	  0, GUARD_AUTH_BEARER, "https://r/token", "", "repository:x:pull" },
	{ "Bearer service=\"s\"", -1, GUARD_AUTH_NONE, NULL, NULL, NULL },
	{ "Negotiate", -1, GUARD_AUTH_NONE, NULL, NULL, NULL },
	{ "", -1, GUARD_AUTH_NONE, NULL, NULL, NULL },
	{ ",,, ,", -1, GUARD_AUTH_NONE, NULL, NULL, NULL },
};

static void check_challenges(void)
{
	for (size_t i = 0; i < sizeof(challenge_cases) / sizeof(challenge_cases[0]); i++) {
		const struct challenge_case *c = &challenge_cases[i];
		struct guard_auth_challenge got;
		struct guard_error err = GUARD_ERROR_INIT;
		int rc = guard_auth_parse_challenge(c->header, &got, &err);

		TAP_IS_INT(rc, c->rc, "challenge '%s' result", c->header);
		if (rc != 0 || c->rc != 0)
			continue;
		TAP_IS_INT(got.scheme, c->scheme, "challenge '%s' scheme", c->header);
		TAP_IS_STR(got.realm, c->realm, "challenge '%s' realm", c->header);
		TAP_IS_STR(got.service, c->service, "challenge '%s' service", c->header);
		TAP_IS_STR(got.scope, c->scope, "challenge '%s' scope", c->header);
	}
}

static void check_token_requests(void)
{
	struct guard_auth_challenge c = { GUARD_AUTH_BEARER, "https://auth.example/token", "reg",
					  "", "" };
	struct guard_credential user = { "u", "p", NULL, NULL, NULL };
	struct guard_credential identity = { NULL, NULL, "refresh-me", NULL, NULL };
	struct guard_auth_token_request req;
	struct guard_error err = GUARD_ERROR_INIT;

	TAP_IS_INT(guard_auth_token_request_build(&c, "repository:a/b:pull", NULL, false, &req, &err),
		   0, "anonymous token request builds");
	TAP_IS_STR(req.method, "GET", "anonymous request is a GET");
	TAP_IS_STR(req.url, "https://auth.example/token?service=reg&scope=repository%3Aa%2Fb%3Apull",
		   "anonymous request URL");
	TAP_OK(req.authorization == NULL, "anonymous request has no Authorization");
	guard_auth_token_request_release(&req);

	guard_auth_token_request_build(&c, "repository:a/b:pull", &user, false, &req, &err);
	TAP_IS_STR(req.authorization, "Basic dTpw", "password request sends Basic");
	guard_auth_token_request_release(&req);

	guard_auth_token_request_build(&c, "repository:a/b:pull", &identity, false, &req, &err);
	TAP_IS_STR(req.method, "POST", "identity token request is a POST");
	TAP_IS_STR(req.url, "https://auth.example/token", "POST goes to the realm");
	TAP_IS_STR(req.form,
		   "grant_type=refresh_token&refresh_token=refresh-me&client_id=guard&service=reg"
		   "&scope=repository%3Aa%2Fb%3Apull",
		   "POST form");
	guard_auth_token_request_release(&req);

	guard_auth_token_request_build(&c, "repository:a/b:pull", &identity, true, &req, &err);
	TAP_IS_STR(req.method, "GET", "identity token falls back to GET");
	guard_auth_token_request_release(&req);

	c.service[0] = '\0';
	snprintf(c.realm, sizeof(c.realm), "%s", "https://auth.example/token?x=1");
	guard_auth_token_request_build(&c, "repository:a:pull repository:b:pull", NULL, false, &req,
				       &err);
	TAP_IS_STR(req.url,
		   "https://auth.example/token?x=1&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull",
		   "no service, two scopes, realm with a query");
	guard_auth_token_request_release(&req);
}

static void check_token_answers(void)
{
	static const char both[] = "{\"token\":\"t1\",\"access_token\":\"t2\",\"expires_in\":300}";
	static const char access[] = "{\"access_token\":\"t2\"}";
	static const char empty[] = "{\"token\":\"\",\"access_token\":\"t3\"}";
	static const char none[] = "{\"expires_in\":3}";
	struct guard_error err = GUARD_ERROR_INIT;
	char *token = NULL;
	long expires_in = 0;

	TAP_IS_INT(guard_auth_parse_token(both, strlen(both), &token, &expires_in, &err), 0,
		   "token answer parses");
	TAP_IS_STR(token, "t1", "token field wins");
	TAP_IS_INT(expires_in, 300, "expires_in read");
	free(token);
	guard_auth_parse_token(access, strlen(access), &token, &expires_in, &err);
	TAP_IS_STR(token, "t2", "access_token used alone");
	TAP_IS_INT(expires_in, 60, "expires_in defaults to 60");
	free(token);
	guard_auth_parse_token(empty, strlen(empty), &token, &expires_in, &err);
	TAP_IS_STR(token, "t3", "empty token falls back to access_token");
	free(token);
	TAP_IS_INT(guard_auth_parse_token(none, strlen(none), &token, &expires_in, &err), -1,
		   "answer without a token fails");
	TAP_IS_INT(guard_auth_parse_token("<html>", 6, &token, &expires_in, &err), -1,
		   "answer that is not JSON fails");
}

static void check_cache(void)
{
	struct guard_auth_cache *cache;
	struct guard_error err = GUARD_ERROR_INIT;

	guard_auth_cache_new(&cache, &err);
	TAP_OK(guard_auth_cache_get(cache, "r", "s", 0) == NULL, "empty cache has no token");
	guard_auth_cache_put(cache, "r", "s", "tok", 300, 1000, &err);
	TAP_IS_STR(guard_auth_cache_get(cache, "r", "s", 2000), "tok", "cached token returned");
	TAP_OK(guard_auth_cache_get(cache, "r", "other", 2000) == NULL, "other scope misses");
	TAP_OK(guard_auth_cache_get(cache, "r2", "s", 2000) == NULL, "other registry misses");
	TAP_OK(guard_auth_cache_get(cache, "r", "s", 1000 + 295000) == NULL,
	       "token dropped shortly before expiry");
	guard_auth_cache_put(cache, "r", "s", "short", 4, 0, &err);
	TAP_IS_STR(guard_auth_cache_get(cache, "r", "s", 1000), "short", "short token kept a while");
	TAP_OK(guard_auth_cache_get(cache, "r", "s", 2500) == NULL, "short token kept half its life");
	guard_auth_cache_free(cache);
}

static void check_policy(void)
{
	struct guard_string_list insecure = { 0 };
	struct guard_http *http;
	struct guard_error err = GUARD_ERROR_INIT;

	guard_string_list_add(&insecure, "registry.lan", NULL);
	guard_string_list_add(&insecure, "http://other.lan:5000/", NULL);
	guard_string_list_add(&insecure, "[fd00::1]:5000", NULL);
	TAP_IS_INT(guard_http_new(&http, &insecure, NULL, &err), 0, "client builds");

	TAP_IS_INT(guard_http_check_url(http, "https://example.com/v2/", true, &err), 0,
		   "https with credentials is allowed");
	TAP_IS_INT(guard_http_check_url(http, "http://127.0.0.1:5000/v2/", true, &err), 0,
		   "plain HTTP with credentials to loopback is allowed");
	TAP_IS_INT(guard_http_check_url(http, "http://localhost/v2/", true, &err), 0,
		   "plain HTTP to localhost is allowed");
	TAP_IS_INT(guard_http_check_url(http, "http://[::1]:5000/v2/", false, &err), 0,
		   "plain HTTP to [::1] is allowed");
	TAP_IS_INT(guard_http_check_url(http, "http://example.com/v2/", false, &err), -1,
		   "plain HTTP to another host is rejected");
	TAP_IS_INT(err.code, GUARD_ERR_USAGE, "plain HTTP rejection is a usage error");
	TAP_OK(strstr(err.message, "--insecure-registry") != NULL, "rejection names the option");
	TAP_IS_INT(guard_http_check_url(http, "http://registry.lan:8080/v2/", false, &err), 0,
		   "insecure host without port allows any port");
	TAP_IS_INT(guard_http_check_url(http, "http://registry.lan/v2/", true, &err), -1,
		   "credentials over plain HTTP to an insecure host are rejected");
	TAP_IS_INT(err.code, GUARD_ERR_AUTH, "credential rejection is an auth error");
	TAP_IS_INT(guard_http_check_url(http, "http://other.lan:5000/v2/", false, &err), 0,
		   "insecure entry with scheme and port matches");
	TAP_IS_INT(guard_http_check_url(http, "http://other.lan:5001/v2/", false, &err), -1,
		   "insecure entry with port matches only that port");
	TAP_IS_INT(guard_http_check_url(http, "http://[fd00::1]:5000/v2/", false, &err), 0,
		   "insecure IPv6 entry matches");
	TAP_IS_INT(guard_http_check_url(http, "ftp://example.com/x", false, &err), -1,
		   "other schemes are rejected");
	TAP_IS_INT(guard_http_check_url(http, "not a url", false, &err), -1,
		   "invalid URL is rejected");
	TAP_OK(guard_http_host_insecure(http, "REGISTRY.LAN"), "insecure match ignores case");
	TAP_OK(!guard_http_host_insecure(http, "registry.lan.evil"), "insecure match is exact");
	guard_http_free(http);
	guard_string_list_release(&insecure);
}

static void check_retry_after(void)
{
	TAP_IS_INT(guard_http_parse_retry_after("5", 0), 5000, "Retry-After seconds");
	TAP_IS_INT(guard_http_parse_retry_after("0", 0), 0, "Retry-After zero");
	TAP_IS_INT(guard_http_parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480), 10000,
		   "Retry-After HTTP date");
	TAP_IS_INT(guard_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0,
		   "Retry-After date in the past");
	TAP_IS_INT(guard_http_parse_retry_after("soon", 0), -1, "Retry-After garbage");
	TAP_IS_INT(guard_http_parse_retry_after("", 0), -1, "Retry-After empty");
}

static void summary_of(const char *body, char *out, size_t size)
{
	struct guard_http_response resp;

	guard_http_response_init(&resp);
	guard_buf_puts(&resp.body, body, NULL);
	guard_http_error_summary(&resp, out, size);
	guard_http_response_release(&resp);
}

static void check_summaries(void)
{
	char out[256];
	char big[2000];

	summary_of("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
		   out, sizeof(out));
	TAP_IS_STR(out, "MANIFEST_UNKNOWN: manifest unknown", "JSON error body summary");
	summary_of("Too Many Requests (HAP429).\n", out, sizeof(out));
	TAP_IS_STR(out, "'Too Many Requests (HAP429).'", "plain text summary");
	summary_of("<b>x</b>\x01\x02\ty\x1b[31m", out, sizeof(out));
	TAP_IS_STR(out, "'<b>x</b> y [31m'", "control bytes are removed");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	summary_of(big, out, sizeof(out));
	TAP_OK(strlen(out) < 170, "long body is cut");
	TAP_OK(strstr(out, "...") != NULL, "cut is marked");
	summary_of("", out, sizeof(out));
	TAP_IS_STR(out, "", "empty body has no summary");
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	check_challenges();
	check_token_requests();
	check_token_answers();
	check_cache();
	check_policy();
	check_retry_after();
	check_summaries();
	curl_global_cleanup();
	return tap_done();
}
