/* guard pin: resolves image references in Dockerfiles, compose files and
 * Kubernetes manifests to registry digests and writes them into the files,
 * changing no other byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dockerfile.h"
#include "log.h"
#include "pin.h"
#include "registry.h"
#include "rewrite.h"
#include "scanner.h"
#include "secret_name.h"
#include "util.h"

#define PIN_MAX_JOBS 256


static const char pin_help[] =
	"usage: guard pin [options] [PATH...]\n"
	"\n"
	"Resolves every image reference to its registry digest and writes the digest\n"
	"after the reference as written: FROM python:3.12 becomes\n"
	"FROM python:3.12@sha256:<digest>. No other byte of the file changes.\n"
	"\n"
	"A PATH is a Dockerfile, a compose or Kubernetes YAML file, or a folder in\n"
	"which every Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*,\n"
	"compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml, their\n"
	".override.yaml and .override.yml forms, and every *.yaml or *.yml file\n"
	"that is a Kubernetes manifest is pinned. The search skips .git and\n"
	"node_modules folders, symbolic links and the scan.skip-paths globs of\n"
	".guard.yaml. Without a PATH, ./Dockerfile is pinned.\n"
	"\n"
	"Options:\n"
	"      --check               write nothing and contact no registry; list every\n"
	"                            unpinned reference as FILE:LINE: REFERENCE\n"
	"      --verify              with --check: also ask the registries that every\n"
	"                            pinned digest exists and report tags that moved;\n"
	"                            a pin of an entry of the tag's index (of the\n"
	"                            --platform entry, when given) has not moved\n"
	"      --diff                write nothing; print the changes as a unified diff\n"
	"      --update              also re-resolve pinned references and replace\n"
	"                            digests whose tag now points elsewhere\n"
	"      --platform OS/ARCH[/VARIANT]\n"
	"                            pin that platform's manifest instead of the\n"
	"                            multi-platform index; a tag that is a single\n"
	"                            manifest for another platform fails (exit 4)\n"
	"      --build-arg NAME=VALUE  value of a Dockerfile ARG (repeatable); NAME\n"
	"                            alone takes the value from the environment\n"
	"      --jobs N              registry look-ups in flight (1-256, default 8)\n"
	"\n";

static const char pin_help_exit[] =
	"\n"
	"Exit codes:\n"
	"  0  done: every reference is pinned (or was pinned now)\n"
	"  1  --check found unpinned references, or --diff printed changes\n"
	"  2  usage error\n"
	"  3  a file could not be read or parsed (it is left untouched)\n"
	"  4  a registry failed: missing tag or digest, refused credentials,\n"
	"     unreachable (the files that need it are left untouched)\n"
	"  5  internal error\n"
	"When several happen, the highest code wins.\n";

enum {
	OPT_CHECK = 1,
	OPT_VERIFY,
	OPT_DIFF,
	OPT_UPDATE,
	OPT_PLATFORM,
	OPT_BUILD_ARG,
	OPT_JOBS,
};

void guard_pin_run_init(struct guard_pin_run *run)
{
	memset(run, 0, sizeof(*run));
	guard_options_init(&run->opts);
	guard_config_init(&run->config);
}

void guard_pin_run_release(struct guard_pin_run *run)
{
	size_t i;

	for (i = 0; i < run->site_count; i++) {
		struct guard_pin_site *site = &run->sites[i];

		free(site->text);
		free(site->expanded);
		free(site->name);
		free(site->reason);
		free(site->warning);
		if (site->has_ref)
			guard_ref_release(&site->ref);
	}
	free(run->sites);
	for (i = 0; i < run->file_count; i++) {
		free(run->files[i].path);
		free(run->files[i].write_path);
		free(run->files[i].data);
		free(run->files[i].diff);
	}
	free(run->files);
	free(run->build_args);
	guard_scanner_free(run->scanner);
	guard_config_release(&run->config);
	guard_options_release(&run->opts);
	memset(run, 0, sizeof(*run));
}

static int add_build_arg(struct guard_pin_run *run, const char *arg, struct guard_error *err)
{
	const char **grown;

	if (!*arg || *arg == '=')
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid --build-arg '%s': expected NAME=VALUE or NAME", arg);
	grown = realloc(run->build_args, (run->build_arg_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	run->build_args = grown;
	grown[run->build_arg_count++] = arg;
	return 0;
}

/* os/arch or os/arch/variant, each part non-empty and without spaces. */
static bool platform_valid(const char *p)
{
	int slashes = 0;
	bool empty_part = true;

	for (; *p; p++) {
		if (*p == '/') {
			if (empty_part)
				return false;
			slashes++;
			empty_part = true;
		} else if (*p == ' ' || *p == '\t') {
			return false;
		} else {
			empty_part = false;
		}
	}
	return !empty_part && (slashes == 1 || slashes == 2);
}

static int handle_option(struct guard_pin_run *run, int id, const char *arg,
			 struct guard_error *err)
{
	uint64_t jobs;

	switch (id) {
	case OPT_CHECK:
		if (run->mode == GUARD_PIN_DIFF)
			return guard_error_set(err, GUARD_ERR_USAGE, "--check and --diff cannot be combined");
		run->mode = GUARD_PIN_CHECK;
		return 0;
	case OPT_DIFF:
		if (run->mode == GUARD_PIN_CHECK)
			return guard_error_set(err, GUARD_ERR_USAGE, "--check and --diff cannot be combined");
		run->mode = GUARD_PIN_DIFF;
		return 0;
	case OPT_VERIFY:
		run->verify = true;
		return 0;
	case OPT_UPDATE:
		run->update = true;
		return 0;
	case OPT_PLATFORM:
		if (!platform_valid(arg))
			return guard_error_set(err, GUARD_ERR_USAGE,
					       "invalid --platform '%s': expected OS/ARCH or "
					       "OS/ARCH/VARIANT, for example linux/arm64", arg);
		run->platform = arg;
		return 0;
	case OPT_BUILD_ARG:
		return add_build_arg(run, arg, err);
	case OPT_JOBS:
		if (guard_parse_u64(arg, 1, PIN_MAX_JOBS, &jobs, "--jobs", err) < 0)
			return -1;
		run->jobs = (unsigned)jobs;
		return 0;
	default:
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid arguments for 'guard pin'; run 'guard pin --help'");
	}
}

/* Returns 1 when --help was printed, 0 to go on, -1 on a usage error. */
static int parse_options(struct guard_pin_run *run, int argc, char **argv,
			 struct guard_error *err)
{
	static const struct option long_options[] = {
		GUARD_COMMON_LONG_OPTIONS,
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "update", no_argument, NULL, OPT_UPDATE },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "build-arg", required_argument, NULL, OPT_BUILD_ARG },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ NULL, 0, NULL, 0 },
	};
	int id, handled;

	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, GUARD_COMMON_SHORT_OPTIONS, long_options, NULL)) != -1) {
		if (id == 'h') {
			fputs(pin_help, stdout);
			fputs(guard_common_options_help, stdout);
			fputs(pin_help_exit, stdout);
			return 1;
		}
		if (id == '?' || id == ':')
			return guard_options_usage_error("pin", argv, err);
		handled = guard_options_handle(&run->opts, id, optarg, err);
		if (handled < 0)
			return -1;
		if (handled == 0 && handle_option(run, id, optarg, err) < 0)
			return -1;
	}

	if (run->verify && run->mode != GUARD_PIN_CHECK)
		return guard_error_set(err, GUARD_ERR_USAGE, "--verify needs --check");
	if (run->update && run->mode == GUARD_PIN_CHECK)
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "--update cannot be combined with --check; use --update --diff "
				       "to preview");
	if (run->opts.format == GUARD_FORMAT_SARIF)
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "guard pin writes text or json, not sarif");
	if (run->opts.baseline)
		return guard_error_set(err, GUARD_ERR_USAGE, "--baseline applies to scans, not to pin");
	return 0;
}

/* pin.ignore globs match the repository: the normalised name without tag
 * or digest ("docker.io/library/python"). */
static int apply_ignore(struct guard_pin_run *run, struct guard_error *err)
{
	size_t i;

	if (run->config.pin.ignore.count == 0)
		return 0;
	for (i = 0; i < run->site_count; i++) {
		struct guard_pin_site *site = &run->sites[i];
		struct guard_buf reason = GUARD_BUF_INIT(4096);
		char *repository;
		bool ignored;

		if (site->action != GUARD_PIN_ACTION_NONE || !site->has_ref)
			continue;
		repository = guard_ref_repository(&site->ref);
		if (!repository)
			return guard_error_oom(err);
		ignored = guard_config_pin_ignored(&run->config, repository);
		if (ignored && guard_buf_printf(&reason, err, "'%s' matches pin.ignore", repository) < 0) {
			free(repository);
			return -1;
		}
		free(repository);
		if (!ignored)
			continue;
		free(site->reason);
		site->reason = guard_buf_detach(&reason, NULL);
		if (!site->reason)
			return guard_error_oom(err);
		site->action = GUARD_PIN_ACTION_SKIPPED;
	}
	return 0;
}

/* The look-ups of a run: one request per distinct reference, mode and
 * platform, all sent in one batch. */
struct request_table {
	struct guard_resolve *requests;
	struct guard_ref *refs;	/* tag-only copies of pinned references; strings borrowed */
	char **keys;
	size_t count;
	size_t cap;
	size_t *slots;		/* open-addressing index of keys, SIZE_MAX = empty */
	size_t slot_count;	/* a power of two, at least twice cap */
	struct guard_registry *registry;	/* the client of the batch, for follow-up fetches */
	struct index_check *index_checks;	/* --verify: pins looked up in their tag's index */
	size_t index_check_count;
};

/* Whether a pinned digest is listed in the index its tag points to. */
struct index_check {
	size_t request;		/* the tag request */
	char digest[GUARD_DIGEST_MAX];
	bool listed;
	bool failed;
};

static size_t key_hash(const char *key)
{
	uint64_t hash = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		hash ^= *p;
		hash *= 0x100000001b3ull;
	}
	return (size_t)hash;
}

static size_t find_or_add_request(struct request_table *table, const struct guard_ref *ref,
				  bool by_digest, const char *platform, struct guard_error *err)
{
	struct guard_ref *copy = &table->refs[table->count];
	struct guard_buf key = GUARD_BUF_INIT(4096);
	char *canonical;
	size_t i, slot;

	*copy = *ref;
	if (!by_digest)
		copy->digest = NULL;
	canonical = guard_ref_canonical(copy, true);
	if (!canonical ||
	    guard_buf_printf(&key, err, "%c %s %s", by_digest ? 'D' : 'T', canonical,
			     platform ? platform : "-") < 0) {
		free(canonical);
		guard_buf_release(&key);
		if (!canonical)
			guard_error_oom(err);
		return SIZE_MAX;
	}
	free(canonical);

	for (slot = key_hash(key.data) & (table->slot_count - 1); table->slots[slot] != SIZE_MAX;
	     slot = (slot + 1) & (table->slot_count - 1)) {
		if (strcmp(table->keys[table->slots[slot]], key.data) == 0) {
			guard_buf_release(&key);
			return table->slots[slot];
		}
	}
	i = table->count;
	table->keys[i] = guard_buf_detach(&key, NULL);
	if (!table->keys[i]) {
		guard_error_oom(err);
		return SIZE_MAX;
	}
	memset(&table->requests[i], 0, sizeof(table->requests[i]));
	table->requests[i].ref = copy;
	table->requests[i].by_digest = by_digest;
	table->requests[i].platform = by_digest ? NULL : platform;
	table->slots[slot] = i;
	table->count++;
	return i;
}

static void request_table_release(struct request_table *table)
{
	size_t i;

	for (i = 0; i < table->count; i++)
		free(table->keys[i]);
	free(table->keys);
	free(table->slots);
	free(table->refs);
	free(table->requests);
	free(table->index_checks);
	guard_registry_free(table->registry);
	memset(table, 0, sizeof(*table));
}

/* Decides which look-ups each site needs. --check alone needs none. */
static int plan_requests(struct guard_pin_run *run, struct request_table *table,
			 struct guard_error *err)
{
	size_t i, cap = run->site_count * 2;

	table->cap = cap;
	table->requests = calloc(cap ? cap : 1, sizeof(*table->requests));
	table->refs = calloc(cap ? cap : 1, sizeof(*table->refs));
	table->keys = calloc(cap ? cap : 1, sizeof(*table->keys));
	table->slot_count = 16;
	while (table->slot_count < cap * 2)
		table->slot_count *= 2;
	table->slots = malloc(table->slot_count * sizeof(*table->slots));
	if (!table->requests || !table->refs || !table->keys || !table->slots)
		return guard_error_oom(err);
	for (i = 0; i < table->slot_count; i++)
		table->slots[i] = SIZE_MAX;

	for (i = 0; i < run->site_count; i++) {
		struct guard_pin_site *site = &run->sites[i];
		bool want_tag, want_digest = false;

		if (site->action != GUARD_PIN_ACTION_NONE || !site->has_ref)
			continue;
		if (run->mode == GUARD_PIN_CHECK) {
			want_tag = run->verify && site->pinned && site->ref.tag;
			want_digest = run->verify && site->pinned;
		} else {
			want_tag = site->pinnable || (run->update && site->pinned && site->ref.tag);
		}
		/* --verify compares the pin with the tag's own digest and, for
		 * an index, with its entries (see decide_verify). */
		if (want_tag) {
			site->tag_request = find_or_add_request(table, &site->ref, false,
								run->mode == GUARD_PIN_CHECK ? NULL :
								run->platform, err);
			if (site->tag_request == SIZE_MAX)
				return -1;
		}
		if (want_digest) {
			site->digest_request = find_or_add_request(table, &site->ref, true, NULL, err);
			if (site->digest_request == SIZE_MAX)
				return -1;
		}
	}
	return 0;
}

/* Redraws the progress line as resolutions finish (shown only on a
 * terminal and without -q, see guard_log_progress). */
static void show_resolve_progress(size_t done, size_t total, void *ctx)
{
	(void)ctx;
	guard_log_progress("resolving image references: %zu/%zu", done, total);
}

static int resolve(struct guard_pin_run *run, struct request_table *table,
		   struct guard_error *err)
{
	struct guard_registry *registry;
	uint64_t started;
	int rc;

	if (table->count == 0)
		return 0;
	if (guard_registry_new(&table->registry, &run->config.registry, err) < 0)
		return -1;
	registry = table->registry;
	if (run->platform && run->mode != GUARD_PIN_CHECK)
		guard_log_warn_once("pin-platform",
				    "--platform %s %s single-platform manifests, so builds for other "
				    "platforms will get the wrong architecture", run->platform,
				    run->mode == GUARD_PIN_DIFF ? "would pin" : "pins");
	guard_log_progress("resolving image references: 0/%zu", table->count);
	guard_registry_set_progress_fn(registry, show_resolve_progress, NULL);
	started = guard_now_ms();
	rc = guard_registry_resolve_all(registry, table->requests, table->count,
					run->jobs ? run->jobs : run->config.pin.jobs, err);
	guard_log_progress_done();
	guard_log_info("resolved %zu reference%s in %llu ms with %llu HTTP requests",
		       table->count, table->count == 1 ? "" : "s",
		       (unsigned long long)(guard_now_ms() - started),
		       (unsigned long long)guard_registry_request_count(registry));
	return rc;
}

/* With --platform, the registry chooses no platform for a tag that points
 * to a single manifest, so guard reads the manifest's config. An image for
 * another platform fails the reference, as an index without the platform
 * does. */
static int check_single_platform(struct guard_pin_run *run, struct request_table *table,
				 struct guard_error *err)
{
	size_t i;

	if (!run->platform || run->mode == GUARD_PIN_CHECK)
		return 0;
	for (i = 0; i < table->count; i++) {
		struct guard_resolve *r = &table->requests[i];
		struct guard_error check_err = GUARD_ERROR_INIT;
		char found[200];
		char *name;
		bool matches;

		if (r->by_digest || !r->platform || r->status != 0 || r->from_index || r->is_index)
			continue;
		if (guard_pin_manifest_platform(table->registry, r->ref, r->digest, r->platform,
						&matches, found, sizeof(found), &check_err) < 0) {
			if (check_err.code == GUARD_ERR_INTERNAL) {
				guard_error_copy(err, &check_err);
				return -1;
			}
			r->status = -1;
			guard_error_copy(&r->error, &check_err);
			guard_error_prefix(&r->error, "cannot read the platform of %s", r->digest);
			continue;
		}
		if (matches)
			continue;
		name = guard_ref_canonical(r->ref, true);
		if (!name)
			return guard_error_oom(err);
		r->status = -1;
		if (found[0])
			guard_error_set(&r->error, GUARD_ERR_NOTFOUND,
					"no %s image for '%s': the tag points to a single-platform "
					"%s image, not to a multi-platform index", r->platform, name,
					found);
		else
			guard_error_set(&r->error, GUARD_ERR_NOTFOUND,
					"no %s image for '%s': the tag points to a single-platform "
					"image whose config names no platform", r->platform, name);
		free(name);
	}
	return 0;
}

static void site_fail(struct guard_pin_run *run, struct guard_pin_site *site,
		      const struct guard_resolve *request)
{
	struct guard_pin_file *file = &run->files[site->file];

	site->action = GUARD_PIN_ACTION_ERROR;
	guard_error_copy(&site->error, &request->error);
	if (site->error.code == GUARD_OK)
		site->error.code = GUARD_ERR_NETWORK;
	if (file->failed && site->error.code <= file->error.code)
		return;
	file->failed = true;
	if (run->mode == GUARD_PIN_CHECK)
		guard_error_set(&file->error, site->error.code, "cannot verify '%s' in '%s'",
				site->text, file->path);
	else if (run->mode == GUARD_PIN_DIFF)
		guard_error_set(&file->error, site->error.code,
				"'%s' is left out of the diff: '%s' could not be resolved",
				file->path, site->text);
	else
		guard_error_set(&file->error, site->error.code,
				"'%s' was left unchanged: '%s' could not be resolved",
				file->path, site->text);
}

/* A file with a failed reference is not written, so its other references
 * are not pinned either; they keep the digest found, for the output. */
static void undo_failed_files(struct guard_pin_run *run)
{
	size_t i;

	for (i = 0; i < run->site_count; i++) {
		struct guard_pin_site *site = &run->sites[i];

		if (!run->files[site->file].failed ||
		    (site->action != GUARD_PIN_ACTION_PINNED && site->action != GUARD_PIN_ACTION_UPDATED))
			continue;
		site->action = GUARD_PIN_ACTION_SKIPPED;
		free(site->reason);
		site->reason = strdup(run->mode == GUARD_PIN_DIFF ?
				      "the file is left out of the diff because another reference failed" :
				      "the file was left unchanged because another reference failed");
	}
}

/* Looks up whether the index that a tag points to lists the site's digest
 * (for --platform when given), once per tag and digest. An index that
 * cannot be read counts as listing it, after a warning, because guard
 * cannot tell that the tag moved. */
static bool index_lists(struct guard_pin_run *run, struct guard_pin_site *site,
			struct request_table *table)
{
	const struct guard_resolve *by_tag = &table->requests[site->tag_request];
	struct guard_error check_err = GUARD_ERROR_INIT;
	struct index_check *check, *grown;
	size_t i;

	for (i = 0; i < table->index_check_count; i++) {
		check = &table->index_checks[i];
		if (check->request == site->tag_request && strcmp(check->digest, site->ref.digest) == 0)
			return check->listed || check->failed;
	}
	grown = realloc(table->index_checks, (table->index_check_count + 1) * sizeof(*grown));
	if (!grown)
		return false;
	table->index_checks = grown;
	check = &grown[table->index_check_count++];
	memset(check, 0, sizeof(*check));
	check->request = site->tag_request;
	snprintf(check->digest, sizeof(check->digest), "%s", site->ref.digest);
	if (guard_pin_index_lists(table->registry, by_tag->ref, by_tag->digest, site->ref.digest,
				  run->platform, &check->listed, &check_err) < 0) {
		check->failed = true;
		guard_log_warn("cannot check whether the index of '%s' lists %s: %s", site->text,
			       site->ref.digest, check_err.message);
	}
	return check->listed || check->failed;
}

/* --check --verify: the pin must exist. A pin that is neither the tag's
 * digest nor an entry of the index the tag points to (the entry for
 * --platform when given) is reported as moved, without failing, and a
 * single-platform pin of a multi-platform tag gets a warning unless
 * --platform asked for it. */
static void decide_verify(struct guard_pin_run *run, struct guard_pin_site *site,
			  struct request_table *table)
{
	const struct guard_resolve *by_digest = &table->requests[site->digest_request];
	const struct guard_resolve *by_tag = site->tag_request == SIZE_MAX ? NULL :
					     &table->requests[site->tag_request];

	if (by_digest->status != 0) {
		site_fail(run, site, by_digest);
		return;
	}
	if (!by_tag || by_tag->status != 0) {
		if (by_tag)
			guard_log_warn("cannot check where '%s' points now: %s", site->text,
				       by_tag->error.message);
		return;
	}
	if (strcmp(by_tag->digest, site->ref.digest) != 0 &&
	    !(by_tag->is_index && index_lists(run, site, table)))
		snprintf(site->moved_to, sizeof(site->moved_to), "%s", by_tag->digest);
	if (by_tag->is_index && !by_digest->is_index && !run->platform)
		guard_log_warn("%s:%u: '%s' is pinned to a single-platform manifest but its tag "
			       "is a multi-platform index; builds for other platforms will fail",
			       run->files[site->file].path, site->line, site->text);
}

static void decide_site(struct guard_pin_run *run, struct guard_pin_site *site,
			struct request_table *table)
{
	const struct guard_resolve *by_tag = site->tag_request == SIZE_MAX ? NULL :
					     &table->requests[site->tag_request];

	if (site->action != GUARD_PIN_ACTION_NONE)
		return;
	if (site->pinned)
		snprintf(site->digest, sizeof(site->digest), "%s", site->ref.digest);

	if (run->mode == GUARD_PIN_CHECK) {
		site->action = site->pinned ? GUARD_PIN_ACTION_ALREADY : GUARD_PIN_ACTION_UNPINNED;
		if (site->digest_request != SIZE_MAX)
			decide_verify(run, site, table);
		return;
	}
	if (!by_tag) {
		site->action = GUARD_PIN_ACTION_ALREADY;
		return;
	}
	if (by_tag->status != 0) {
		site_fail(run, site, by_tag);
		return;
	}
	if (site->pinnable) {
		snprintf(site->digest, sizeof(site->digest), "%s", by_tag->digest);
		site->action = GUARD_PIN_ACTION_PINNED;
		return;
	}
	if (strcmp(by_tag->digest, site->ref.digest) == 0) {
		site->action = GUARD_PIN_ACTION_ALREADY;
		return;
	}
	if (site->digest_start == SIZE_MAX) {
		site->action = GUARD_PIN_ACTION_SKIPPED;
		free(site->reason);
		site->reason = strdup("the digest comes from a --build-arg value, not from the file");
		return;
	}
	snprintf(site->previous, sizeof(site->previous), "%s", site->ref.digest);
	snprintf(site->digest, sizeof(site->digest), "%s", by_tag->digest);
	site->action = GUARD_PIN_ACTION_UPDATED;
}

static int add_site_edit(struct guard_rewrite *rewrite, const struct guard_pin_site *site,
			 struct guard_error *err)
{
	char text[GUARD_DIGEST_MAX + 16];

	if (site->action == GUARD_PIN_ACTION_PINNED && !site->duplicate) {
		snprintf(text, sizeof(text), "%s@%s", site->add_latest ? ":latest" : "", site->digest);
		return guard_rewrite_insert(rewrite, site->insert_at, text, err);
	}
	if (site->action == GUARD_PIN_ACTION_UPDATED) {
		snprintf(text, sizeof(text), "@%s", site->digest);
		return guard_rewrite_replace(rewrite, site->digest_start, site->digest_end, text, err);
	}
	return 0;
}

/* A copy of a file's text in which secret values are replaced by '*'
 * bytes of the same length, so that every offset stays valid. */
struct masked_text {
	char *data;
	size_t len;
	size_t count;		/* values masked */
};

/* Masks [start, end) and counts it once, however many rules found it. */
static void mask_range(struct masked_text *m, size_t start, size_t end)
{
	bool changed = false;
	size_t i;

	if (start >= end || end > m->len)
		return;
	for (i = start; i < end; i++) {
		if (m->data[i] == '\n' || m->data[i] == '\r' || m->data[i] == '*')
			continue;
		m->data[i] = '*';
		changed = true;
	}
	if (changed)
		m->count++;
}

static size_t offset_of_line(const char *data, size_t len, unsigned line)
{
	size_t offset = 0;

	while (line > 1 && offset < len) {
		const char *nl = memchr(data + offset, '\n', len - offset);

		if (!nl)
			return len;
		offset = (size_t)(nl - data) + 1;
		line--;
	}
	return offset;
}

static int mask_finding(const struct guard_finding *finding, void *ctx, struct guard_error *err)
{
	struct masked_text *m = ctx;
	size_t start;

	(void)err;
	if (finding->loc.line == 0 || finding->loc.column == 0)
		return 0;
	start = offset_of_line(m->data, m->len, finding->loc.line);
	mask_range(m, start + finding->loc.column - 1, start + finding->loc.end_column - 1);
	return 0;
}

/* Masks in m what guard scan would report as secrets: the engine's
 * findings, and in a Dockerfile the literal values of ENV and ARG names
 * that mark a secret. */
static int mask_secrets(struct guard_pin_run *run, const struct guard_pin_file *file,
			struct masked_text *m, struct guard_error *err)
{
	struct guard_scan_stats stats = { 0 };
	struct guard_location loc = { 0 };
	struct guard_dockerfile *df = NULL;
	size_t i, j;

	if (!run->scanner && guard_scanner_new(&run->scanner, &run->config.scan, err) < 0)
		return -1;
	loc.path = file->path;
	if (guard_scanner_scan(run->scanner, &loc, file->data, file->len, &stats, mask_finding, m,
			       err) < 0)
		return -1;

	if (file->kind != GUARD_PIN_DOCKERFILE ||
	    guard_dockerfile_parse(&df, file->path, file->data, file->len, NULL, NULL) < 0)
		return 0;
	for (i = 0; i < df->instruction_count; i++) {
		const struct guard_dockerfile_instruction *ins = &df->instructions[i];

		for (j = 0; j < ins->pair_count; j++) {
			const struct guard_dockerfile_pair *pair = &ins->pairs[j];

			if (pair->value && !strchr(pair->value, '$') &&
			    guard_secret_name_is_sensitive(pair->name) &&
			    !guard_secret_value_is_placeholder(pair->value))
				mask_range(m, pair->value_start, pair->value_end);
		}
	}
	guard_dockerfile_free(df);
	return 0;
}

/* Builds the diff of a file with its secret values masked, because guard
 * never prints a secret. A diff with masked lines no longer applies with
 * patch, so a warning is printed. */
static int masked_diff(struct guard_pin_run *run, struct guard_pin_file *file,
		       struct guard_rewrite *rewrite, struct guard_buf *out, struct guard_error *err)
{
	struct masked_text m = { 0 };
	int rc;

	m.data = malloc(file->len + 1);
	if (!m.data)
		return guard_error_oom(err);
	memcpy(m.data, file->data, file->len + 1);
	m.len = file->len;
	rc = mask_secrets(run, file, &m, err);
	if (rc == 0)
		rc = guard_rewrite_diff(rewrite, m.data, m.len, file->path, out, err);
	if (rc == 0 && m.count > 0)
		guard_log_warn("'%s': the diff shows %zu secret value%s as '*', so it does not apply "
			       "with patch where %s; 'guard scan context' reports %s",
			       file->path, m.count, m.count == 1 ? "" : "s",
			       m.count == 1 ? "it appears" : "they appear", m.count == 1 ? "it" : "them");
	guard_wipe(m.data, m.len);
	free(m.data);
	return rc;
}

/* Computes a file's edits and writes the file or its diff. A file with a
 * failed site is left untouched. */
static int finish_file(struct guard_pin_run *run, size_t index, struct guard_error *err)
{
	struct guard_pin_file *file = &run->files[index];
	struct guard_rewrite rewrite;
	struct guard_buf out = GUARD_BUF_INIT(GUARD_PIN_MAX_FILE_SIZE * 2);
	struct guard_error file_err = GUARD_ERROR_INIT;
	size_t i;
	int rc = -1;

	if (file->failed || run->mode == GUARD_PIN_CHECK)
		return 0;
	guard_rewrite_init(&rewrite);
	for (i = 0; i < run->site_count; i++)
		if (run->sites[i].file == index && add_site_edit(&rewrite, &run->sites[i], err) < 0)
			goto done;
	if (rewrite.count == 0) {
		rc = 0;
		goto done;
	}
	file->changed = true;

	if (run->mode == GUARD_PIN_DIFF) {
		if (masked_diff(run, file, &rewrite, &out, err) < 0)
			goto done;
		file->diff = guard_buf_detach(&out, NULL);
		rc = file->diff ? 0 : guard_error_oom(err);
		goto done;
	}

	if (guard_rewrite_apply(&rewrite, file->data, file->len, &out, err) < 0)
		goto done;
	if (guard_write_atomic(file->write_path, out.data, out.len, &file_err) < 0) {
		file->failed = true;
		guard_error_copy(&file->error, &file_err);
	} else {
		file->written = true;
	}
	rc = 0;

done:
	guard_buf_release(&out);
	guard_rewrite_release(&rewrite);
	return rc;
}

static void report_errors(const struct guard_pin_run *run)
{
	size_t i;

	for (i = 0; i < run->site_count; i++) {
		const struct guard_pin_site *site = &run->sites[i];

		if (site->action == GUARD_PIN_ACTION_ERROR)
			guard_log_error("cannot resolve '%s' (%s) at %s:%u: %s", site->text,
					site->name ? site->name : site->text,
					run->files[site->file].path, site->line, site->error.message);
		else if (site->warning)
			guard_log_warn("%s:%u: %s", run->files[site->file].path, site->line,
				       site->warning);
	}
	for (i = 0; i < run->file_count; i++) {
		const struct guard_pin_file *file = &run->files[i];

		if (!file->failed)
			continue;
		/* Registry failures were reported with their reference above. */
		if (file->error.code >= GUARD_ERR_NOTFOUND && file->error.code <= GUARD_ERR_NETWORK) {
			/* --check writes nothing, so it prints no hint. */
			if (run->mode == GUARD_PIN_DIFF)
				guard_log_hint("'%s' is left out of the diff", file->path);
			else if (run->mode == GUARD_PIN_WRITE)
				guard_log_hint("'%s' was left unchanged", file->path);
		} else
			guard_log_error("%s", file->error.message);
	}
}

/* The exit class: the most serious failure of any file wins. */
static enum guard_error_code worst_error(const struct guard_pin_run *run)
{
	enum guard_error_code worst = GUARD_OK;
	size_t i;

	for (i = 0; i < run->file_count; i++)
		if (run->files[i].failed && run->files[i].error.code > worst)
			worst = run->files[i].error.code;
	return worst;
}

static bool has_findings(const struct guard_pin_run *run)
{
	size_t i;

	for (i = 0; i < run->site_count; i++)
		if (run->sites[i].action == GUARD_PIN_ACTION_UNPINNED)
			return true;
	for (i = 0; i < run->file_count; i++)
		if (run->files[i].diff)
			return true;
	return false;
}

static bool output_to_file(const struct guard_pin_run *run)
{
	return run->opts.output && strcmp(run->opts.output, "-") != 0;
}

/* Writes the results to stdout, or to --output in one atomic replacement
 * as the scan commands write their reports. */
static int write_output(struct guard_pin_run *run, struct guard_error *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int rc;

	if (!output_to_file(run)) {
		rc = guard_pin_output_write(run, stdout, err);
		if (fflush(stdout) != 0 && rc == 0)
			rc = guard_error_set(err, GUARD_ERR_IO, "cannot write the results to stdout");
		return rc;
	}
	out = open_memstream(&text, &len);
	if (!out)
		return guard_error_oom(err);
	rc = guard_pin_output_write(run, out, err);
	if (fclose(out) != 0 && rc == 0)
		rc = guard_error_oom(err);
	if (rc == 0 && guard_write_output(run->opts.output, text ? text : "", len, err) < 0)
		rc = guard_error_prefix(err, "cannot write the results");
	free(text);
	return rc;
}

static int run_pin(struct guard_pin_run *run, struct guard_error *err)
{
	struct request_table table = { 0 };
	enum guard_error_code worst;
	size_t i;
	int rc = -1;

	/* An --output that cannot be written fails the run before any file
	 * is rewritten, so that a failed run leaves every file as it was. */
	if (output_to_file(run) && guard_check_output(run->opts.output, err) < 0) {
		guard_error_prefix(err, "cannot write the results");
		goto done;
	}
	if (guard_pin_files_load(run, err) < 0 || apply_ignore(run, err) < 0 ||
	    plan_requests(run, &table, err) < 0 || resolve(run, &table, err) < 0 ||
	    check_single_platform(run, &table, err) < 0)
		goto done;
	for (i = 0; i < run->site_count; i++)
		decide_site(run, &run->sites[i], &table);
	undo_failed_files(run);
	for (i = 0; i < run->file_count; i++)
		if (finish_file(run, i, err) < 0)
			goto done;

	report_errors(run);
	if (write_output(run, err) < 0)
		goto done;

	worst = worst_error(run);
	if (worst != GUARD_OK) {
		/* Already reported: the empty message only carries the class. */
		guard_error_set(err, worst, "%s", "");
		goto done;
	}
	rc = has_findings(run) ? GUARD_RESULT_FINDINGS : GUARD_RESULT_CLEAN;

done:
	request_table_release(&table);
	return rc;
}

int guard_cmd_pin(int argc, char **argv, struct guard_error *err)
{
	struct guard_pin_run run;
	int rc, i;

	guard_pin_run_init(&run);
	rc = parse_options(&run, argc, argv, err);
	if (rc != 0) {
		guard_pin_run_release(&run);
		return rc > 0 ? GUARD_RESULT_CLEAN : -1;
	}

	rc = -1;
	if (guard_config_load(&run.config, run.opts.config_path, ".", err) < 0 ||
	    guard_config_apply_options(&run.config, &run.opts, err) < 0)
		goto done;
	if (!run.platform && run.config.pin.platform)
		run.platform = run.config.pin.platform;
	if (!run.opts.format_set && run.config.format_set && run.config.format != GUARD_FORMAT_SARIF)
		run.opts.format = run.config.format;

	if (optind >= argc && guard_pin_files_add_path(&run, "Dockerfile", err) < 0)
		goto done;
	for (i = optind; i < argc; i++)
		if (guard_pin_files_add_path(&run, argv[i], err) < 0)
			goto done;
	rc = run_pin(&run, err);

done:
	guard_pin_run_release(&run);
	return rc;
}
