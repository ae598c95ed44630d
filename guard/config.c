#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "log.h"
#include "util.h"

void guard_config_init(struct guard_config *config)
{
	memset(config, 0, sizeof(*config));
}

int guard_string_list_add(struct guard_string_list *list, const char *value,
			  struct guard_error *err)
{
	char **grown;
	char *copy = strdup(value);

	if (!copy)
		return guard_error_oom(err);
	grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return guard_error_oom(err);
	}
	list->items = grown;
	list->items[list->count++] = copy;
	return 0;
}

void guard_string_list_release(struct guard_string_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

void guard_config_release(struct guard_config *config)
{
	size_t i;

	for (i = 0; i < config->registry.mirror_count; i++) {
		free(config->registry.mirrors[i].host);
		free(config->registry.mirrors[i].url);
	}
	free(config->registry.mirrors);
	guard_string_list_release(&config->registry.insecure);
	guard_string_list_release(&config->registry.ca_files);
	guard_string_list_release(&config->scan.skip_paths);
	guard_string_list_release(&config->scan.disabled_rules);
	guard_string_list_release(&config->scan.stopwords);
	guard_string_list_release(&config->pin.ignore);
	free(config->pin.platform);
	free(config->baseline);
	free(config->path);
	memset(config, 0, sizeof(*config));
}

static int add_mirror(struct guard_registry_config *registry, const char *host,
		      const char *url, struct guard_error *err)
{
	struct guard_mirror_opt *grown;
	size_t i;

	for (i = 0; i < registry->mirror_count; i++) {
		if (strcmp(registry->mirrors[i].host, host) == 0) {
			char *copy = strdup(url);

			if (!copy)
				return guard_error_oom(err);
			free(registry->mirrors[i].url);
			registry->mirrors[i].url = copy;
			return 0;
		}
	}
	grown = realloc(registry->mirrors, (registry->mirror_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	registry->mirrors = grown;
	grown[registry->mirror_count].host = strdup(host);
	grown[registry->mirror_count].url = strdup(url);
	if (!grown[registry->mirror_count].host || !grown[registry->mirror_count].url) {
		free(grown[registry->mirror_count].host);
		free(grown[registry->mirror_count].url);
		return guard_error_oom(err);
	}
	registry->mirror_count++;
	return 0;
}

int guard_config_apply_options(struct guard_config *config,
			       const struct guard_options *opts, struct guard_error *err)
{
	size_t i;

	for (i = 0; i < opts->mirror_count; i++)
		if (add_mirror(&config->registry, opts->mirrors[i].host, opts->mirrors[i].url, err) < 0)
			return -1;
	for (i = 0; i < opts->insecure_count; i++)
		if (guard_string_list_add(&config->registry.insecure, opts->insecure[i], err) < 0)
			return -1;
	if (opts->ca_file && guard_string_list_add(&config->registry.ca_files, opts->ca_file, err) < 0)
		return -1;
	if (opts->baseline) {
		free(config->baseline);
		config->baseline = guard_strdup(opts->baseline, err);
		if (!config->baseline)
			return -1;
	}
	if (opts->format_set) {
		config->format = opts->format;
		config->format_set = true;
	}
	return 0;
}

/* Loading .guard.yaml ------------------------------------------------- */

#define CONFIG_FILE_MAX (1024 * 1024)
#define JOBS_MAX 256
#define KEY_PATH_MAX 256

struct loader {
	const char *path;		/* the file, for messages */
	char *dir;			/* its folder, for relative paths */
	yaml_document_t *doc;
	struct guard_config *config;
	struct guard_error *err;
};

/* Sets a parse error naming the file, the line of node and the key path. */
__attribute__((format(printf, 4, 5)))
static int invalid(struct loader *l, const yaml_node_t *node, const char *key_path,
		   const char *fmt, ...)
{
	char cause[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	return guard_error_set(l->err, GUARD_ERR_PARSE, "invalid configuration '%s': line %zu: %s: %s",
			       l->path, node->start_mark.line + 1, key_path, cause);
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* An empty value, "~" or "null" written without quotes. */
static bool node_is_null(const yaml_node_t *node)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)node->data.scalar.value;
	return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

/* Returns the text of a scalar node, or NULL after setting an error when
 * node is not a scalar or contains a NUL byte. */
static const char *scalar_text(struct loader *l, const yaml_node_t *node, const char *key_path)
{
	if (node->type != YAML_SCALAR_NODE) {
		invalid(l, node, key_path, "expected a string, got %s", node_kind(node));
		return NULL;
	}
	if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length) {
		invalid(l, node, key_path, "contains a NUL byte");
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static void join_key(char *out, const char *parent, const char *key)
{
	if (*parent)
		snprintf(out, KEY_PATH_MAX, "%s.%s", parent, key);
	else
		snprintf(out, KEY_PATH_MAX, "%s", key);
}

/* Checks that node is a mapping of scalar keys without duplicates. */
static int check_mapping(struct loader *l, const yaml_node_t *node, const char *key_path)
{
	const char *label = *key_path ? key_path : "top level";
	const yaml_node_pair_t *pair, *earlier;
	char child[KEY_PATH_MAX];

	if (node->type != YAML_MAPPING_NODE)
		return invalid(l, node, label, "expected a mapping, got %s", node_kind(node));
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(l->doc, pair->key);
		const char *name = scalar_text(l, key, label);

		if (!name)
			return -1;
		for (earlier = node->data.mapping.pairs.start; earlier < pair; earlier++) {
			const yaml_node_t *other = yaml_document_get_node(l->doc, earlier->key);

			if (strcmp((const char *)other->data.scalar.value, name) == 0) {
				join_key(child, key_path, name);
				return invalid(l, key, child, "duplicate key (first on line %zu)",
					       other->start_mark.line + 1);
			}
		}
	}
	return 0;
}

/* Value handler: parses node into target, a list, string or number field of
 * the config being loaded. */
typedef int (*value_handler)(struct loader *l, const yaml_node_t *node, const char *key_path,
			     void *target);

struct key_spec {
	const char *name;
	value_handler handle;
	size_t offset;				/* of the target in struct guard_config */
	const struct key_spec *section;		/* for nested mappings */
	size_t section_count;
};

static int handle_section(struct loader *l, const yaml_node_t *node, const char *key_path,
			  const struct key_spec *keys, size_t count);

static int list_items(struct loader *l, const yaml_node_t *node, const char *key_path,
		      struct guard_string_list *list, bool relative_paths)
{
	const yaml_node_item_t *item;

	if (node->type != YAML_SEQUENCE_NODE)
		return invalid(l, node, key_path, "expected a list, got %s", node_kind(node));
	for (item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++) {
		const yaml_node_t *child = yaml_document_get_node(l->doc, *item);
		const char *text = scalar_text(l, child, key_path);
		char *resolved;
		int rc;

		if (!text)
			return -1;
		if (!*text)
			return invalid(l, child, key_path, "empty list item");
		if (!relative_paths || text[0] == '/')
			resolved = strdup(text);
		else
			resolved = guard_path_join(l->dir, text);
		if (!resolved)
			return guard_error_oom(l->err);
		rc = guard_string_list_add(list, resolved, l->err);
		free(resolved);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int handle_list(struct loader *l, const yaml_node_t *node, const char *key_path,
		       void *target)
{
	return list_items(l, node, key_path, target, false);
}

/* A list of files, relative to the folder of the configuration file. */
static int handle_path_list(struct loader *l, const yaml_node_t *node, const char *key_path,
			    void *target)
{
	return list_items(l, node, key_path, target, true);
}

/* Glob patterns for pin.ignore. A "!" alone is rejected because it would
 * match nothing. */
static int handle_pattern_list(struct loader *l, const yaml_node_t *node, const char *key_path,
			       void *target)
{
	struct guard_string_list *list = target;
	size_t i;

	if (list_items(l, node, key_path, list, false) < 0)
		return -1;
	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i], "!") == 0)
			return invalid(l, node, key_path, "'!' needs a pattern after it");
	return 0;
}

/* A file path, relative to the folder of the configuration file. */
static int handle_path(struct loader *l, const yaml_node_t *node, const char *key_path,
		       void *target)
{
	const char *text = scalar_text(l, node, key_path);
	char **out = target;

	if (!text)
		return -1;
	if (!*text)
		return invalid(l, node, key_path, "expected a file name, got an empty string");
	free(*out);
	*out = text[0] == '/' ? strdup(text) : guard_path_join(l->dir, text);
	return *out ? 0 : guard_error_oom(l->err);
}

static int handle_jobs(struct loader *l, const yaml_node_t *node, const char *key_path,
		       void *target)
{
	struct guard_error ignored = GUARD_ERROR_INIT;
	const char *text = scalar_text(l, node, key_path);
	uint64_t value;

	if (!text)
		return -1;
	if (guard_parse_u64(text, 1, JOBS_MAX, &value, key_path, &ignored) < 0)
		return invalid(l, node, key_path, "expected a whole number from 1 to %d, got '%s'",
			       JOBS_MAX, text);
	*(unsigned *)target = (unsigned)value;
	return 0;
}

static int handle_size(struct loader *l, const yaml_node_t *node, const char *key_path,
		       void *target)
{
	struct guard_error ignored = GUARD_ERROR_INIT;
	const char *text = scalar_text(l, node, key_path);
	uint64_t value;

	if (!text)
		return -1;
	if (guard_parse_size(text, &value, key_path, &ignored) < 0 || value == 0)
		return invalid(l, node, key_path,
			       "expected a size above 0 such as 512K, 10M or 1G, got '%s'", text);
	*(uint64_t *)target = value;
	return 0;
}

/* os/arch or os/arch/variant, as in "docker build --platform". */
static int handle_platform(struct loader *l, const yaml_node_t *node, const char *key_path,
			   void *target)
{
	const char *text = scalar_text(l, node, key_path);
	char **out = target;
	size_t parts = 1;
	const char *p;

	if (!text)
		return -1;
	for (p = text; *p; p++) {
		if (*p == '/' && (p == text || p[1] == '/' || p[1] == '\0'))
			break;
		if (*p == '/')
			parts++;
		else if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			break;
	}
	if (*p || parts < 2 || parts > 3)
		return invalid(l, node, key_path,
			       "expected OS/ARCH or OS/ARCH/VARIANT such as linux/amd64, got '%s'", text);
	free(*out);
	*out = strdup(text);
	return *out ? 0 : guard_error_oom(l->err);
}

static int handle_format(struct loader *l, const yaml_node_t *node, const char *key_path,
			 void *target)
{
	static const char *const names[] = { "text", "json", "sarif" };
	static const enum guard_format formats[] = {
		GUARD_FORMAT_TEXT, GUARD_FORMAT_JSON, GUARD_FORMAT_SARIF,
	};
	const char *text = scalar_text(l, node, key_path);
	size_t i;

	(void)target;
	if (!text)
		return -1;
	for (i = 0; i < GUARD_ARRAY_SIZE(names); i++) {
		if (strcmp(text, names[i]) == 0) {
			l->config->format = formats[i];
			l->config->format_set = true;
			return 0;
		}
	}
	return invalid(l, node, key_path, "expected text, json or sarif, got '%s'", text);
}

/* registry.mirrors: HOST: URL, the same as --registry-mirror HOST=URL. */
static int handle_mirrors(struct loader *l, const yaml_node_t *node, const char *key_path,
			  void *target)
{
	const yaml_node_pair_t *pair;
	char child[KEY_PATH_MAX];

	(void)target;
	if (check_mapping(l, node, key_path) < 0)
		return -1;
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(l->doc, pair->key);
		const yaml_node_t *value = yaml_document_get_node(l->doc, pair->value);
		const char *host = (const char *)key->data.scalar.value;
		const char *url;

		join_key(child, key_path, host);
		if (!*host || strchr(host, '/'))
			return invalid(l, key, child, "expected a registry host such as docker.io");
		url = scalar_text(l, value, child);
		if (!url)
			return -1;
		if (!guard_has_prefix(url, "http://") && !guard_has_prefix(url, "https://"))
			return invalid(l, value, child,
				       "the mirror URL must start with http:// or https://, got '%s'", url);
		if (add_mirror(&l->config->registry, host, url, l->err) < 0)
			return -1;
	}
	return 0;
}

#define CONFIG_FIELD(field) offsetof(struct guard_config, field)

static const struct key_spec registry_keys[] = {
	{ "mirrors", handle_mirrors, 0, NULL, 0 },
	{ "insecure", handle_list, CONFIG_FIELD(registry.insecure), NULL, 0 },
	{ "ca-files", handle_path_list, CONFIG_FIELD(registry.ca_files), NULL, 0 },
};

static const struct key_spec pin_keys[] = {
	{ "ignore", handle_pattern_list, CONFIG_FIELD(pin.ignore), NULL, 0 },
	{ "jobs", handle_jobs, CONFIG_FIELD(pin.jobs), NULL, 0 },
	{ "platform", handle_platform, CONFIG_FIELD(pin.platform), NULL, 0 },
};

static const struct key_spec scan_keys[] = {
	{ "skip-paths", handle_list, CONFIG_FIELD(scan.skip_paths), NULL, 0 },
	{ "disable-rules", handle_list, CONFIG_FIELD(scan.disabled_rules), NULL, 0 },
	{ "stopwords", handle_list, CONFIG_FIELD(scan.stopwords), NULL, 0 },
	{ "max-file-size", handle_size, CONFIG_FIELD(scan.max_file_size), NULL, 0 },
};

static const struct key_spec top_keys[] = {
	{ "registry", NULL, 0, registry_keys, GUARD_ARRAY_SIZE(registry_keys) },
	{ "pin", NULL, 0, pin_keys, GUARD_ARRAY_SIZE(pin_keys) },
	{ "scan", NULL, 0, scan_keys, GUARD_ARRAY_SIZE(scan_keys) },
	{ "baseline", handle_path, CONFIG_FIELD(baseline), NULL, 0 },
	{ "format", handle_format, 0, NULL, 0 },
};

static int unknown_key(struct loader *l, const yaml_node_t *key, const char *key_path,
		       const struct key_spec *keys, size_t count)
{
	char valid[256] = "";
	size_t i, used = 0;

	for (i = 0; i < count && used < sizeof(valid); i++)
		used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? ", " : "",
					 keys[i].name);
	return invalid(l, key, key_path, "unknown key (valid keys: %s)", valid);
}

/* Walks a mapping whose keys are listed in keys. A null value keeps the
 * default. */
static int handle_section(struct loader *l, const yaml_node_t *node, const char *key_path,
			  const struct key_spec *keys, size_t count)
{
	const yaml_node_pair_t *pair;
	char child[KEY_PATH_MAX];

	if (node_is_null(node))
		return 0;
	if (check_mapping(l, node, key_path) < 0)
		return -1;
	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(l->doc, pair->key);
		const yaml_node_t *value = yaml_document_get_node(l->doc, pair->value);
		const char *name = (const char *)key->data.scalar.value;
		const struct key_spec *spec = NULL;
		size_t i;
		int rc;

		join_key(child, key_path, name);
		for (i = 0; i < count && !spec; i++)
			if (strcmp(keys[i].name, name) == 0)
				spec = &keys[i];
		if (!spec)
			return unknown_key(l, key, child, keys, count);
		if (node_is_null(value))
			continue;
		if (spec->section)
			rc = handle_section(l, value, child, spec->section, spec->section_count);
		else
			rc = spec->handle(l, value, child, (char *)l->config + spec->offset);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Parses the YAML text of one configuration file into config. */
static int parse_config(struct guard_config *config, const char *path, const char *text,
			size_t len, struct guard_error *err)
{
	struct loader l = { path, NULL, NULL, config, err };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int rc = -1;

	l.dir = folder_of(path);
	if (!l.dir)
		return guard_error_oom(err);
	if (!yaml_parser_initialize(&parser)) {
		free(l.dir);
		return guard_error_oom(err);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		guard_error_set(err, GUARD_ERR_PARSE, "invalid configuration '%s': line %zu: %s%s%s",
				path, parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "invalid YAML",
				parser.context ? " " : "", parser.context ? parser.context : "");
		goto out_parser;
	}
	l.doc = &doc;

	root = yaml_document_get_root_node(&doc);
	if (root && handle_section(&l, root, "", top_keys, GUARD_ARRAY_SIZE(top_keys)) < 0)
		goto out_doc;

	if (!yaml_parser_load(&parser, &extra)) {
		guard_error_set(err, GUARD_ERR_PARSE, "invalid configuration '%s': line %zu: %s",
				path, parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "invalid YAML");
		goto out_doc;
	}
	root = yaml_document_get_root_node(&extra);
	if (root)
		guard_error_set(err, GUARD_ERR_PARSE,
				"invalid configuration '%s': line %zu: expected one YAML document, "
				"found a second one", path, root->start_mark.line + 1);
	else
		rc = 0;
	yaml_document_delete(&extra);

out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	free(l.dir);
	return rc;
}

/* Finds .guard.yaml: at the root of the git work tree that contains
 * start_dir (the nearest folder with a .git file or folder), else in
 * start_dir itself. Sets *path to NULL when there is none. */
static int find_config_file(const char *start_dir, char **path, struct guard_error *err)
{
	char *dir = realpath(start_dir, NULL);
	char *candidate = NULL;
	struct stat st;
	size_t len;

	*path = NULL;
	if (!dir)
		return guard_error_set(err, GUARD_ERR_IO, "cannot open folder '%s': %s", start_dir,
				       strerror(errno));
	for (len = strlen(dir);;) {
		char *git = guard_path_join(dir, ".git");
		bool found;

		if (!git)
			goto oom;
		found = lstat(git, &st) == 0;
		free(git);
		if (found) {
			candidate = guard_path_join(dir, ".guard.yaml");
			break;
		}
		while (len > 1 && dir[len - 1] != '/')
			len--;
		if (len <= 1)
			break;
		dir[--len] = '\0';
	}
	if (!candidate) {
		free(dir);
		dir = realpath(start_dir, NULL);
		candidate = dir ? guard_path_join(dir, ".guard.yaml") : NULL;
	}
	free(dir);
	if (!candidate)
		return guard_error_oom(err);

	if (stat(candidate, &st) == 0)
		*path = candidate;
	else
		free(candidate);
	return 0;

oom:
	free(dir);
	return guard_error_oom(err);
}

int guard_config_load(struct guard_config *config, const char *explicit_path,
		      const char *start_dir, struct guard_error *err)
{
	struct guard_config loaded;
	char *path = NULL, *text = NULL;
	size_t len = 0;

	if (explicit_path) {
		path = guard_strdup(explicit_path, err);
		if (!path)
			return -1;
	} else if (find_config_file(start_dir ? start_dir : ".", &path, err) < 0) {
		return -1;
	}
	if (!path)
		return 0;

	if (guard_read_file(path, CONFIG_FILE_MAX, &text, &len, err) < 0) {
		free(path);
		return guard_error_prefix(err, "reading the configuration");
	}
	guard_config_init(&loaded);
	if (parse_config(&loaded, path, text, len, err) < 0) {
		guard_config_release(&loaded);
		free(text);
		free(path);
		return -1;
	}
	free(text);

	guard_config_release(config);
	*config = loaded;
	config->path = path;
	guard_log_info("configuration read from '%s'", path);
	return 0;
}

bool guard_config_pin_ignored(const struct guard_config *config, const char *normalised_name)
{
	bool ignored = false;
	size_t i;

	for (i = 0; i < config->pin.ignore.count; i++) {
		const char *pattern = config->pin.ignore.items[i];
		bool reinclude = pattern[0] == '!';

		if (fnmatch(reinclude ? pattern + 1 : pattern, normalised_name, 0) == 0)
			ignored = !reinclude;
	}
	return ignored;
}
