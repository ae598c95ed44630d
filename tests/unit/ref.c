/* Image reference grammar and Docker normalisation, table-driven. */
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "tap.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H96 H64 "0123456789abcdef0123456789abcdef"
#define H128 H64 H64

/* A valid reference and its parts; canonical is with add_latest. */
struct valid_case {
	const char *text;
	const char *domain;
	const char *path;
	const char *tag;
	const char *digest;
	const char *canonical;
};

static const struct valid_case valid_cases[] = {
	{ "alpine", "docker.io", "library/alpine", NULL, NULL, "docker.io/library/alpine:latest" },
	{ "alpine:3.19", "docker.io", "library/alpine", "3.19", NULL, "docker.io/library/alpine:3.19" },
	{ "python:3.12-slim", "docker.io", "library/python", "3.12-slim", NULL,
	  "docker.io/library/python:3.12-slim" },
	{ "bitnami/redis:7", "docker.io", "bitnami/redis", "7", NULL, "docker.io/bitnami/redis:7" },
	{ "myreg/app", "docker.io", "myreg/app", NULL, NULL, "docker.io/myreg/app:latest" },
	{ "docker.io/alpine", "docker.io", "library/alpine", NULL, NULL,
	  "docker.io/library/alpine:latest" },
	{ "docker.io/library/alpine:3", "docker.io", "library/alpine", "3", NULL,
	  "docker.io/library/alpine:3" },
	{ "index.docker.io/alpine", "docker.io", "library/alpine", NULL, NULL,
	  "docker.io/library/alpine:latest" },
	{ "index.docker.io/foo/bar:1", "docker.io", "foo/bar", "1", NULL, "docker.io/foo/bar:1" },
	{ "registry-1.docker.io/alpine", "registry-1.docker.io", "alpine", NULL, NULL,
	  "registry-1.docker.io/alpine:latest" },
	{ "ghcr.io/owner/image:v1.2.3", "ghcr.io", "owner/image", "v1.2.3", NULL,
	  "ghcr.io/owner/image:v1.2.3" },
	{ "localhost/app", "localhost", "app", NULL, NULL, "localhost/app:latest" },
	{ "localhost:5000/app:dev", "localhost:5000", "app", "dev", NULL, "localhost:5000/app:dev" },
	{ "localhost:5000", "docker.io", "library/localhost", "5000", NULL,
	  "docker.io/library/localhost:5000" },
	{ "example.com", "docker.io", "library/example.com", NULL, NULL,
	  "docker.io/library/example.com:latest" },
	{ "registry:5000/x", "registry:5000", "x", NULL, NULL, "registry:5000/x:latest" },
	{ "127.0.0.1:5000/test/busybox:1.0", "127.0.0.1:5000", "test/busybox", "1.0", NULL,
	  "127.0.0.1:5000/test/busybox:1.0" },
	{ "[::1]:5000/app:1", "[::1]:5000", "app", "1", NULL, "[::1]:5000/app:1" },
	{ "[2001:db8::1]/app", "[2001:db8::1]", "app", NULL, NULL, "[2001:db8::1]/app:latest" },
	{ "Registry/app", "Registry", "app", NULL, NULL, "Registry/app:latest" },
	{ "MyHost.Example.COM/a/b", "MyHost.Example.COM", "a/b", NULL, NULL,
	  "MyHost.Example.COM/a/b:latest" },
	{ "a.b/c/d/e/f:t", "a.b", "c/d/e/f", "t", NULL, "a.b/c/d/e/f:t" },
	{ "foo/a_b:x", "docker.io", "foo/a_b", "x", NULL, "docker.io/foo/a_b:x" },
	{ "foo/a__b", "docker.io", "foo/a__b", NULL, NULL, "docker.io/foo/a__b:latest" },
	{ "foo/a-b", "docker.io", "foo/a-b", NULL, NULL, "docker.io/foo/a-b:latest" },
	{ "foo/a---b", "docker.io", "foo/a---b", NULL, NULL, "docker.io/foo/a---b:latest" },
	{ "foo/a.b", "docker.io", "foo/a.b", NULL, NULL, "docker.io/foo/a.b:latest" },
	{ "alpine:Latest_1", "docker.io", "library/alpine", "Latest_1", NULL,
	  "docker.io/library/alpine:Latest_1" },
	{ "alpine:_x", "docker.io", "library/alpine", "_x", NULL, "docker.io/library/alpine:_x" },
	{ "alpine@sha256:" H64, "docker.io", "library/alpine", NULL, "sha256:" H64,
	  "docker.io/library/alpine@sha256:" H64 },
	{ "alpine:3.19@sha256:" H64, "docker.io", "library/alpine", "3.19", "sha256:" H64,
	  "docker.io/library/alpine:3.19@sha256:" H64 },
	{ "localhost:5000/app@sha384:" H96, "localhost:5000", "app", NULL, "sha384:" H96,
	  "localhost:5000/app@sha384:" H96 },
	{ "app@sha512:" H128, "docker.io", "library/app", NULL, "sha512:" H128,
	  "docker.io/library/app@sha512:" H128 },
	{ "h.io:65535/a:b", "h.io:65535", "a", "b", NULL, "h.io:65535/a:b" },
	{ "0/a", "docker.io", "0/a", NULL, NULL, "docker.io/0/a:latest" },
	{ "a-b.example/x", "a-b.example", "x", NULL, NULL, "a-b.example/x:latest" },
};

/* An invalid reference and a fragment its error message must contain. */
struct invalid_case {
	const char *text;
	const char *cause;
};

static const struct invalid_case invalid_cases[] = {
	{ "", "empty" },
	{ "Alpine", "lowercase" },
	{ "docker.io/Library/alpine", "lowercase" },
	{ "ghcr.io/Owner/image", "lowercase" },
	{ "foo/UPPER:tag", "lowercase" },
	{ "alpine:", "empty tag" },
	{ "alpine:.x", "invalid tag" },
	{ "alpine:-x", "invalid tag" },
	{ "alpine:a+b", "invalid tag" },
	{ "alpine:a/b", "invalid registry port" },
	{ "foo/-bar", "invalid repository name" },
	{ "foo/bar-", "invalid repository name" },
	{ "foo/bar.", "invalid repository name" },
	{ "foo/a..b", "invalid repository name" },
	{ "foo/a___b", "invalid repository name" },
	{ "foo/a._b", "invalid repository name" },
	{ "foo//bar", "empty path component" },
	{ "foo/", "empty path component" },
	{ "ghcr.io/", "empty path component" },
	{ "/foo", "empty path component" },
	{ ":tag", "missing repository name" },
	{ "@sha256:" H64, "missing repository name" },
	{ "foo bar", "white space" },
	{ "foo\tbar", "white space" },
	{ "alpine@sha256:abc", "wrong length" },
	{ "alpine@sha256:" H64 "0", "wrong length" },
	{ "alpine@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "lowercase" },
	{ "alpine@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm" },
	{ "alpine@" H64, "invalid digest" },
	{ "alpine@:" H64, "invalid digest" },
	{ "alpine@sha384:" H64, "wrong length" },
	{ H64, "image ID" },
	{ "exa_mple.com/app", "invalid registry host" },
	{ "-bad.com/app", "invalid registry host" },
	{ "bad-.com/app", "invalid registry host" },
	{ "bad..com/app", "invalid registry host" },
	{ "host.com:/app", "invalid registry port" },
	{ "host.com:50a0/app", "invalid registry port" },
	{ "host.com:123456/app", "invalid registry port" },
	{ "[::1/app", "']'" },
	{ "[zz::1]:5000/app", "invalid IPv6 address" },
	{ "[::1]x/app", "invalid registry host" },
	{ "foo/b@r", "invalid digest" },
	{ "foo/bar:1:2", "invalid repository name" },
	{ "foo/bar!", "invalid repository name" },
};

static void check_valid(const struct valid_case *c)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ref ref;
	char *canonical;
	int rc = guard_ref_parse(&ref, c->text, &err);

	TAP_IS_INT(rc, 0, "'%s' parses", c->text);
	if (rc != 0) {
		printf("#   error: %s\n", err.message);
		return;
	}
	TAP_IS_STR(ref.domain, c->domain, "'%s' domain", c->text);
	TAP_IS_STR(ref.path, c->path, "'%s' path", c->text);
	TAP_IS_STR(ref.tag, c->tag, "'%s' tag", c->text);
	TAP_IS_STR(ref.digest, c->digest, "'%s' digest", c->text);
	canonical = guard_ref_canonical(&ref, true);
	TAP_IS_STR(canonical, c->canonical, "'%s' canonical form", c->text);
	free(canonical);
	guard_ref_release(&ref);
}

static void check_invalid(const struct invalid_case *c)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ref ref;
	int rc = guard_ref_parse(&ref, c->text, &err);

	TAP_IS_INT(rc, -1, "'%s' is rejected", c->text);
	if (rc == 0) {
		guard_ref_release(&ref);
		return;
	}
	TAP_IS_INT(err.code, GUARD_ERR_PARSE, "'%s' is a parse error", c->text);
	TAP_OK(strstr(err.message, c->cause) != NULL, "'%s' error names the cause", c->text);
	if (!strstr(err.message, c->cause))
		printf("#   message: %s\n#   expected: %s\n", err.message, c->cause);
}

static void check_path_length(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ref ref;
	char text[400];

	/* "example.com/" + 255 characters of path is the longest valid one. */
	memset(text, 'a', sizeof(text));
	memcpy(text, "example.com/", 12);
	text[12 + 255] = '\0';
	TAP_IS_INT(guard_ref_parse(&ref, text, &err), 0, "path of 255 characters parses");
	guard_ref_release(&ref);
	text[12 + 255] = 'a';
	text[12 + 256] = '\0';
	TAP_IS_INT(guard_ref_parse(&ref, text, &err), -1, "path of 256 characters is rejected");
	TAP_OK(strstr(err.message, "255") != NULL, "path length error names the limit");

	/* Docker Hub's "library/" counts: 247 + 8 = 255. */
	memset(text, 'b', sizeof(text));
	text[247] = '\0';
	TAP_IS_INT(guard_ref_parse(&ref, text, &err), 0, "library path of 255 parses");
	guard_ref_release(&ref);
	text[247] = 'b';
	text[248] = '\0';
	TAP_IS_INT(guard_ref_parse(&ref, text, &err), -1, "library path of 256 is rejected");
}

static void check_tag_length(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ref ref;
	char text[200];

	memset(text, 't', sizeof(text));
	memcpy(text, "alpine:", 7);
	text[7 + 128] = '\0';
	TAP_IS_INT(guard_ref_parse(&ref, text, &err), 0, "tag of 128 characters parses");
	guard_ref_release(&ref);
	text[7 + 128] = 't';
	text[7 + 129] = '\0';
	TAP_IS_INT(guard_ref_parse(&ref, text, &err), -1, "tag of 129 characters is rejected");
	TAP_OK(strstr(err.message, "128") != NULL, "tag length error names the limit");
}

static void check_helpers(void)
{
	static const struct {
		const char *host;
		bool loopback;
	} hosts[] = {
		{ "localhost", true },     { "LOCALHOST:5000", true },  { "127.0.0.1", true },
		{ "127.0.0.1:5000", true }, { "127.1.2.3:80", true },   { "[::1]:5000", true },
		{ "[::1]", true },          { "::1", true },            { "128.0.0.1", false },
		{ "10.0.0.1:5000", false }, { "example.com", false },   { "localhost.example", false },
		{ "[2001:db8::1]:5000", false }, { "", false },         { "127.0.0.1.nip.io", false },
	};
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_ref ref;
	char *repo;

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		TAP_IS_INT(guard_host_is_loopback(hosts[i].host), hosts[i].loopback,
			   "'%s' loopback is %d", hosts[i].host, hosts[i].loopback);
	TAP_OK(!guard_host_is_loopback(NULL), "NULL host is not loopback");

	if (guard_ref_parse(&ref, "python", &err) == 0) {
		TAP_IS_STR(guard_ref_api_host(&ref), "registry-1.docker.io", "docker.io API host");
		repo = guard_ref_repository(&ref);
		TAP_IS_STR(repo, "docker.io/library/python", "repository of python");
		free(repo);
		repo = guard_ref_canonical(&ref, false);
		TAP_IS_STR(repo, "docker.io/library/python", "canonical without latest");
		free(repo);
		guard_ref_release(&ref);
	}
	if (guard_ref_parse(&ref, "ghcr.io/a/b", &err) == 0) {
		TAP_IS_STR(guard_ref_api_host(&ref), "ghcr.io", "ghcr.io API host");
		guard_ref_release(&ref);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(&valid_cases[i]);
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++)
		check_invalid(&invalid_cases[i]);
	check_path_length();
	check_tag_length();
	check_helpers();
	return tap_done();
}
