#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int guard_config_load(struct guard_config *config, const char *explicit_path,
		      const char *start_dir, struct guard_error *err)
{
	char *candidate;

	(void)config;
	if (explicit_path)
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "cannot read '%s': configuration files are not supported yet",
				       explicit_path);
	candidate = guard_path_join(start_dir ? start_dir : ".", ".guard.yaml");
	if (!candidate)
		return guard_error_oom(err);
	if (access(candidate, F_OK) == 0) {
		guard_error_set(err, GUARD_ERR_PARSE,
				"cannot read '%s': configuration files are not supported yet", candidate);
		free(candidate);
		return -1;
	}
	free(candidate);
	return 0;
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
