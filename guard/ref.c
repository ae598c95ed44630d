#include "ref.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

/* distribution/reference caps the repository path at 255 characters. */
#define REF_PATH_MAX 255
#define REF_TAG_MAX 128
/* Input longer than this is rejected before parsing. Real references are
 * far shorter: 255 for the path, 128 for the tag, 135 for a sha512 digest. */
#define REF_TEXT_MAX 1024

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int ref_fail(struct guard_error *err, const char *text, const char *cause)
{
	return guard_error_set(err, GUARD_ERR_PARSE, "invalid image reference '%.200s': %s",
			       text, cause);
}

/* A path component: [a-z0-9]+ joined by ".", "_", "__" or runs of "-". */
static bool component_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	while (i < len) {
		size_t run;

		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		run = 1;
		if (s[i] == '.') {
			/* a single dot */
		} else if (s[i] == '_') {
			if (i + 1 < len && s[i + 1] == '_')
				run = 2;
		} else if (s[i] == '-') {
			while (i + run < len && s[i + run] == '-')
				run++;
		} else {
			return false;
		}
		i += run;
		if (i >= len || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

static const char *path_check(const char *path)
{
	const char *p = path;

	for (const char *q = path; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			return "repository name must be lowercase";
	if (strlen(path) > REF_PATH_MAX)
		return "repository path is longer than 255 characters";
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 0)
			return "empty path component";
		if (!component_valid(p, len))
			return "invalid repository name: components are lowercase letters and digits "
			       "joined by '.', '_', '__' or '-'";
		if (!slash)
			return NULL;
		p = slash + 1;
	}
}

static bool label_char(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* host[:port], where host is dot-separated labels or a bracketed IPv6. */
static const char *domain_check(const char *domain)
{
	const char *port = NULL;

	if (domain[0] == '[') {
		const char *close = strchr(domain, ']');
		char addr[64];
		struct in6_addr in6;
		size_t len;

		if (!close)
			return "missing ']' in IPv6 address";
		len = (size_t)(close - domain - 1);
		if (len == 0 || len >= sizeof(addr))
			return "invalid IPv6 address";
		memcpy(addr, domain + 1, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1)
			return "invalid IPv6 address";
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "invalid registry host";
	} else {
		const char *p = domain;
		const char *colon = strchr(domain, ':');
		const char *end = colon ? colon : domain + strlen(domain);

		while (p < end) {
			const char *dot = memchr(p, '.', (size_t)(end - p));
			const char *label_end = dot ? dot : end;

			if (label_end == p || p[0] == '-' || label_end[-1] == '-')
				return "invalid registry host";
			for (const char *q = p; q < label_end; q++)
				if (!label_char(*q))
					return "invalid registry host";
			p = dot ? dot + 1 : end;
			if (dot && p == end)
				return "invalid registry host";
		}
		if (colon)
			port = colon + 1;
	}
	if (port) {
		if (*port == '\0' || strlen(port) > 5)
			return "invalid registry port";
		for (const char *q = port; *q; q++)
			if (!isdigit((unsigned char)*q))
				return "invalid registry port";
	}
	return NULL;
}

static const char *tag_check(const char *tag)
{
	size_t len = strlen(tag);

	if (len == 0)
		return "empty tag";
	if (len > REF_TAG_MAX)
		return "tag is longer than 128 characters";
	if (!(isalnum((unsigned char)tag[0]) || tag[0] == '_'))
		return "invalid tag: it must start with a letter, digit or '_'";
	for (size_t i = 1; i < len; i++) {
		char c = tag[i];

		if (!(isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-'))
			return "invalid tag: only letters, digits, '_', '.' and '-' are allowed";
	}
	return NULL;
}

/* Accepts the algorithms go-digest supports, each with its exact number of
 * lowercase hex digits. Other algorithms are rejected as unsupported. */
static const char *digest_check(const char *digest)
{
	static const struct {
		const char *name;
		size_t hex;
	} algorithms[] = { { "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 } };
	const char *colon = strchr(digest, ':');
	const char *hex;
	size_t alg_len;

	if (!colon || colon == digest)
		return "invalid digest: expected algorithm:hex";
	alg_len = (size_t)(colon - digest);
	hex = colon + 1;
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
		if (strlen(algorithms[i].name) != alg_len ||
		    memcmp(algorithms[i].name, digest, alg_len) != 0)
			continue;
		if (strlen(hex) != algorithms[i].hex)
			return "invalid digest: wrong length of hex digits for the algorithm";
		for (const char *q = hex; *q; q++)
			if (!is_hex_lower(*q))
				return "invalid digest: hex digits must be lowercase 0-9a-f";
		return NULL;
	}
	return "unsupported digest algorithm (sha256, sha384 and sha512 are supported)";
}

static bool is_image_id(const char *text)
{
	size_t len = strlen(text);

	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_hex_lower(text[i]))
			return false;
	return true;
}

/* Docker's rule: the first component names a registry when it contains '.'
 * or ':', is "localhost", or has an uppercase letter. */
static bool first_is_domain(const char *first, size_t len)
{
	if (len == 9 && memcmp(first, "localhost", 9) == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (first[i] == '.' || first[i] == ':' || (first[i] >= 'A' && first[i] <= 'Z'))
			return true;
	return false;
}

/* Splits name (without tag and digest) into domain and path. */
static int split_domain(struct guard_ref *out, const char *name, struct guard_error *err)
{
	const char *slash = strchr(name, '/');
	const char *rest = name;

	if (slash && first_is_domain(name, (size_t)(slash - name))) {
		out->domain = guard_strndup(name, (size_t)(slash - name), err);
		rest = slash + 1;
	} else {
		out->domain = guard_strdup("docker.io", err);
	}
	if (!out->domain)
		return -1;
	if (strcmp(out->domain, "index.docker.io") == 0) {
		free(out->domain);
		out->domain = guard_strdup("docker.io", err);
		if (!out->domain)
			return -1;
	}
	if (strcmp(out->domain, "docker.io") == 0 && !strchr(rest, '/')) {
		size_t len = strlen(rest) + sizeof("library/");

		out->path = malloc(len);
		if (!out->path)
			return guard_error_oom(err);
		snprintf(out->path, len, "library/%s", rest);
	} else {
		out->path = guard_strdup(rest, err);
		if (!out->path)
			return -1;
	}
	return 0;
}

/* Cuts "@digest" and ":tag" off name (modified in place). */
static int split_suffixes(struct guard_ref *out, char *name, const char *text,
			  struct guard_error *err)
{
	char *at = strchr(name, '@');
	char *slash;
	char *colon;
	const char *cause;

	if (at) {
		*at = '\0';
		if ((cause = digest_check(at + 1)) != NULL)
			return ref_fail(err, text, cause);
		out->digest = guard_strdup(at + 1, err);
		if (!out->digest)
			return -1;
	}
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if ((cause = tag_check(colon + 1)) != NULL)
			return ref_fail(err, text, cause);
		out->tag = guard_strdup(colon + 1, err);
		if (!out->tag)
			return -1;
	}
	return 0;
}

static int parse_into(struct guard_ref *out, char *name, const char *text,
		      struct guard_error *err)
{
	const char *cause;

	if (split_suffixes(out, name, text, err) < 0)
		return -1;
	if (name[0] == '\0')
		return ref_fail(err, text, "missing repository name");
	if (split_domain(out, name, err) < 0)
		return -1;
	if ((cause = domain_check(out->domain)) != NULL)
		return ref_fail(err, text, cause);
	if ((cause = path_check(out->path)) != NULL)
		return ref_fail(err, text, cause);
	return 0;
}

int guard_ref_parse(struct guard_ref *out, const char *text, struct guard_error *err)
{
	struct guard_ref ref = { 0 };
	char *name;
	size_t len = strlen(text);

	if (len == 0)
		return guard_error_set(err, GUARD_ERR_PARSE, "invalid image reference: it is empty");
	if (len > REF_TEXT_MAX)
		return ref_fail(err, text, "longer than 1024 characters");
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)text[i]) || iscntrl((unsigned char)text[i]))
			return ref_fail(err, text, "contains white space or a control character");
	if (is_image_id(text))
		return ref_fail(err, text,
				"a 64-character hex string is an image ID, not a repository name");

	name = guard_strdup(text, err);
	if (!name)
		return -1;
	if (parse_into(&ref, name, text, err) < 0) {
		free(name);
		guard_ref_release(&ref);
		return -1;
	}
	free(name);
	*out = ref;
	return 0;
}

void guard_ref_release(struct guard_ref *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

char *guard_ref_canonical(const struct guard_ref *ref, bool add_latest)
{
	struct guard_buf buf = GUARD_BUF_INIT(4096);
	const char *tag = ref->tag;
	size_t len;

	if (!tag && !ref->digest && add_latest)
		tag = "latest";
	if (guard_buf_printf(&buf, NULL, "%s/%s", ref->domain, ref->path) < 0 ||
	    (tag && guard_buf_printf(&buf, NULL, ":%s", tag) < 0) ||
	    (ref->digest && guard_buf_printf(&buf, NULL, "@%s", ref->digest) < 0)) {
		guard_buf_release(&buf);
		return NULL;
	}
	return guard_buf_detach(&buf, &len);
}

char *guard_ref_repository(const struct guard_ref *ref)
{
	struct guard_buf buf = GUARD_BUF_INIT(4096);
	size_t len;

	if (guard_buf_printf(&buf, NULL, "%s/%s", ref->domain, ref->path) < 0) {
		guard_buf_release(&buf);
		return NULL;
	}
	return guard_buf_detach(&buf, &len);
}

const char *guard_ref_api_host(const struct guard_ref *ref)
{
	if (strcmp(ref->domain, "docker.io") == 0)
		return "registry-1.docker.io";
	return ref->domain;
}

bool guard_host_is_loopback(const char *host)
{
	char name[256];
	size_t len;
	struct in_addr in4;
	struct in6_addr in6;

	if (!host)
		return false;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (!close)
			return false;
		len = (size_t)(close - host - 1);
		host++;
	} else {
		const char *colon = strchr(host, ':');

		/* Two or more colons without brackets: an IPv6 address alone. */
		if (colon && strchr(colon + 1, ':'))
			len = strlen(host);
		else
			len = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (len == 0 || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';

	if (strcasecmp(name, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, name, &in4) == 1)
		return (ntohl(in4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, name, &in6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&in6);
	return false;
}
