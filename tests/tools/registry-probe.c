/* registry-probe: resolves image references with guard's registry client,
 * for the shell tests.
 *
 *   registry-probe [options] REF...
 *     --mirror HOST=URL   send requests for HOST to URL
 *     --ca-file FILE      trust FILE in addition to the system store
 *     --insecure HOST     allow plain HTTP and unverified TLS to HOST
 *     --platform P        pin the os/arch[/variant] child of an index
 *     --jobs N            look-ups in flight
 *     --by-digest         check that REF's digest exists
 *     --manifest          fetch the manifest and print its size as well
 *     --blob DIGEST       stream blob DIGEST of the first REF, print its size
 *     --count             print the number of HTTP requests at the end
 *     -v, -vv             verbose and debug diagnostics
 *
 * Prints one line per REF: "REF digest=D media_type=M index=0|1", or
 * "REF error=CLASS MESSAGE". Exits with guard's exit code of the first
 * failure class (4 for registry failures), 0 when all resolved.
 *
 * GUARD_TEST_BASIC=user:password gives every registry that credential. It
 * is read only by this program, never by guard itself.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "ref.h"
#include "registry.h"

static int test_credentials(const char *domain, struct guard_credential *out, bool *found,
			    struct guard_error *err)
{
	const char *basic = getenv("GUARD_TEST_BASIC");
	const char *identity = getenv("GUARD_TEST_IDENTITY_TOKEN");
	const char *colon;

	(void)domain;
	(void)err;
	memset(out, 0, sizeof(*out));
	*found = false;
	if (identity && *identity) {
		out->identity_token = strdup(identity);
		out->source = strdup("GUARD_TEST_IDENTITY_TOKEN");
		*found = true;
		return 0;
	}
	if (!basic || !(colon = strchr(basic, ':')))
		return 0;
	out->username = strndup(basic, (size_t)(colon - basic));
	out->password = strdup(colon + 1);
	out->source = strdup("GUARD_TEST_BASIC");
	*found = true;
	return 0;
}

static int exit_code(enum guard_error_code code)
{
	switch (code) {
	case GUARD_OK:
		return 0;
	case GUARD_ERR_USAGE:
		return 2;
	case GUARD_ERR_PARSE:
	case GUARD_ERR_IO:
	case GUARD_ERR_LIMIT:
		return 3;
	case GUARD_ERR_NOTFOUND:
	case GUARD_ERR_AUTH:
	case GUARD_ERR_NETWORK:
		return 4;
	default:
		return 5;
	}
}

struct blob_count {
	unsigned long long bytes;
};

static int count_blob(const void *data, size_t len, void *ctx, struct guard_error *err)
{
	struct blob_count *c = ctx;

	(void)data;
	(void)err;
	c->bytes += len;
	return 0;
}

struct probe_options {
	struct guard_registry_config config;
	const char *platform;
	unsigned jobs;
	bool by_digest;
	bool manifest;
	bool count;
	const char *blob;
	int verbosity;
};

static int add_mirror(struct guard_registry_config *config, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct guard_mirror_opt *grown;

	if (!eq)
		return -1;
	grown = realloc(config->mirrors, (config->mirror_count + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	config->mirrors = grown;
	grown[config->mirror_count].host = strndup(arg, (size_t)(eq - arg));
	grown[config->mirror_count].url = strdup(eq + 1);
	config->mirror_count++;
	return 0;
}

static int parse_options(int argc, char **argv, struct probe_options *o)
{
	static const struct option longopts[] = {
		{ "mirror", required_argument, NULL, 'm' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "insecure", required_argument, NULL, 'i' },
		{ "platform", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "by-digest", no_argument, NULL, 'd' },
		{ "manifest", no_argument, NULL, 'M' },
		{ "blob", required_argument, NULL, 'b' },
		{ "count", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (add_mirror(&o->config, optarg) < 0)
				return -1;
			break;
		case 'c':
			guard_string_list_add(&o->config.ca_files, optarg, NULL);
			break;
		case 'i':
			guard_string_list_add(&o->config.insecure, optarg, NULL);
			break;
		case 'p':
			o->platform = optarg;
			break;
		case 'j':
			o->jobs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o->by_digest = true;
			break;
		case 'M':
			o->manifest = true;
			break;
		case 'b':
			o->blob = optarg;
			break;
		case 'n':
			o->count = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int run_extra(struct guard_registry *reg, const struct probe_options *o,
		     const struct guard_ref *ref, const char *text)
{
	struct guard_error err = GUARD_ERROR_INIT;

	if (o->manifest) {
		struct guard_buf body = GUARD_BUF_INIT(4 << 20);
		char media_type[128], digest[GUARD_DIGEST_MAX];
		const char *what = "latest";

		if (ref->digest)
			what = ref->digest;
		else if (ref->tag)
			what = ref->tag;
		if (guard_registry_get_manifest(reg, ref, what, &body, media_type, digest, &err) < 0) {
			printf("%s manifest error=%s %s\n", text, guard_error_code_name(err.code),
			       err.message);
			return exit_code(err.code);
		}
		printf("%s manifest digest=%s media_type=%s size=%zu\n", text, digest, media_type,
		       body.len);
		guard_buf_release(&body);
	}
	if (o->blob) {
		struct blob_count count = { 0 };

		if (guard_registry_get_blob(reg, ref, o->blob, -1, count_blob, &count, &err) < 0) {
			printf("%s blob error=%s %s\n", text, guard_error_code_name(err.code),
			       err.message);
			return exit_code(err.code);
		}
		printf("%s blob size=%llu\n", text, count.bytes);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe_options o = { 0 };
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_registry *reg = NULL;
	struct guard_resolve *requests;
	struct guard_ref *refs;
	size_t count;
	int status = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (parse_options(argc, argv, &o) < 0 || optind >= argc) {
		fprintf(stderr, "usage: registry-probe [options] REF...\n");
		return 2;
	}
	guard_log_set_level(o.verbosity >= 2 ? GUARD_LOG_DEBUG
			    : o.verbosity == 1 ? GUARD_LOG_VERBOSE : GUARD_LOG_NORMAL);
	count = (size_t)(argc - optind);
	requests = calloc(count, sizeof(*requests));
	refs = calloc(count, sizeof(*refs));
	if (!requests || !refs)
		return 5;
	if (guard_registry_new(&reg, &o.config, &err) < 0) {
		fprintf(stderr, "registry-probe: %s\n", err.message);
		status = exit_code(err.code);
		goto done;
	}
	guard_registry_set_credential_fn(reg, test_credentials);

	for (size_t i = 0; i < count; i++) {
		if (guard_ref_parse(&refs[i], argv[optind + i], &err) < 0) {
			printf("%s error=%s %s\n", argv[optind + i], guard_error_code_name(err.code),
			       err.message);
			status = exit_code(err.code);
			goto done;
		}
		requests[i].ref = &refs[i];
		requests[i].platform = o.platform;
		requests[i].by_digest = o.by_digest;
	}
	if (!o.manifest && !o.blob &&
	    guard_registry_resolve_all(reg, requests, count, o.jobs, &err) < 0) {
		fprintf(stderr, "registry-probe: %s\n", err.message);
		status = exit_code(err.code);
	}
	for (size_t i = 0; !o.manifest && !o.blob && i < count; i++) {
		if (requests[i].status == 0) {
			printf("%s digest=%s media_type=%s index=%d\n", argv[optind + i],
			       requests[i].digest, requests[i].media_type, requests[i].is_index);
		} else {
			printf("%s error=%s %s\n", argv[optind + i],
			       guard_error_code_name(requests[i].error.code), requests[i].error.message);
			if (status == 0)
				status = exit_code(requests[i].error.code);
		}
	}
	if (o.manifest || o.blob)
		status = run_extra(reg, &o, &refs[0], argv[optind]);
	if (o.count)
		printf("requests=%llu\n", (unsigned long long)guard_registry_request_count(reg));

done:
	guard_registry_free(reg);
	for (size_t i = 0; i < count; i++)
		guard_ref_release(&refs[i]);
	free(refs);
	free(requests);
	for (size_t i = 0; i < o.config.mirror_count; i++) {
		free(o.config.mirrors[i].host);
		free(o.config.mirrors[i].url);
	}
	free(o.config.mirrors);
	guard_string_list_release(&o.config.ca_files);
	guard_string_list_release(&o.config.insecure);
	curl_global_cleanup();
	return status;
}
