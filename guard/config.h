/* Settings from .guard.yaml (found at the repository root, or given with
 * --config) merged with the shared command-line options. */
#ifndef GUARD_CONFIG_H
#define GUARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "error.h"

struct guard_string_list {
	char **items;
	size_t count;
};

/* Registry access settings. */
struct guard_registry_config {
	struct guard_mirror_opt *mirrors;	/* HOST -> URL, owned */
	size_t mirror_count;
	struct guard_string_list insecure;	/* hosts allowed over plain HTTP */
	struct guard_string_list ca_files;	/* extra trusted CA bundles */
};

/* Allow rules the secret engine applies. */
struct guard_scan_config {
	struct guard_string_list skip_paths;	/* globs of paths not to scan */
	struct guard_string_list disabled_rules;	/* rule ids */
	struct guard_string_list stopwords;	/* a secret containing one is not reported */
	uint64_t max_file_size;			/* bytes scanned per file, 0 = default */
};

/* Settings of guard pin: images to leave alone and defaults. */
struct guard_pin_config {
	struct guard_string_list ignore;	/* globs on the normalised name; "!" re-includes */
	unsigned jobs;				/* look-ups in flight, 0 = default */
	char *platform;				/* os/arch[/variant], NULL = the index */
};

struct guard_config {
	char *path;			/* file the settings came from, NULL if none */
	struct guard_registry_config registry;
	struct guard_pin_config pin;
	struct guard_scan_config scan;
	char *baseline;			/* default --baseline */
	enum guard_format format;	/* default --format */
	bool format_set;
};

void guard_config_init(struct guard_config *config);
void guard_config_release(struct guard_config *config);

/* Loads explicit_path when given (a missing file is an error), otherwise
 * .guard.yaml at the root of the git work tree containing start_dir (or in
 * start_dir outside git), if there is one. Unknown keys and wrong types are
 * GUARD_ERR_PARSE errors naming the key and the line. On success the file's
 * settings replace *config, so call it before guard_config_apply_options;
 * on failure *config is untouched. */
int guard_config_load(struct guard_config *config, const char *explicit_path,
		      const char *start_dir, struct guard_error *err);

/* Merges the shared command-line options over the file's settings: mirrors,
 * insecure hosts and CA files are added, format and baseline replace. */
int guard_config_apply_options(struct guard_config *config,
			       const struct guard_options *opts, struct guard_error *err);

/* Returns true when pin.ignore excludes an image, given its normalised name
 * without tag or digest ("docker.io/library/python"). Each pattern is an
 * fnmatch(3) glob where "*" also matches "/". A leading "!" re-includes what
 * earlier patterns excluded, and the last matching pattern wins. */
bool guard_config_pin_ignored(const struct guard_config *config, const char *normalised_name);

int guard_string_list_add(struct guard_string_list *list, const char *value,
			  struct guard_error *err);
void guard_string_list_release(struct guard_string_list *list);

#endif
