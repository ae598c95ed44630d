/* Test program: loads .guard.yaml the way guard's commands do and prints
 * the settings, one "key=value" per line. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

static void print_list(const char *key, const struct guard_string_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		printf("%s=%s\n", key, list->items[i]);
}

int main(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "sarif" };
	struct guard_error err = GUARD_ERROR_INIT;
	const char *explicit_path = NULL, *start_dir = ".";
	struct guard_config config;
	size_t i;
	int arg = 1;

	if (argc > 2 && strcmp(argv[1], "--config") == 0) {
		explicit_path = argv[2];
		arg = 3;
	}
	if (arg < argc)
		start_dir = argv[arg];

	guard_config_init(&config);
	if (guard_config_load(&config, explicit_path, start_dir, &err) < 0) {
		guard_log_report(&err);
		return 3;
	}
	printf("path=%s\n", config.path ? config.path : "(none)");
	for (i = 0; i < config.registry.mirror_count; i++)
		printf("mirror=%s=%s\n", config.registry.mirrors[i].host, config.registry.mirrors[i].url);
	print_list("insecure", &config.registry.insecure);
	print_list("ca-file", &config.registry.ca_files);
	print_list("ignore", &config.pin.ignore);
	printf("jobs=%u\n", config.pin.jobs);
	printf("platform=%s\n", config.pin.platform ? config.pin.platform : "");
	print_list("skip-path", &config.scan.skip_paths);
	print_list("disable-rule", &config.scan.disabled_rules);
	print_list("stopword", &config.scan.stopwords);
	printf("max-file-size=%llu\n", (unsigned long long)config.scan.max_file_size);
	printf("baseline=%s\n", config.baseline ? config.baseline : "");
	printf("format=%s\n", config.format_set ? formats[config.format] : "");
	for (arg = arg + 1; arg < argc; arg++)
		printf("ignored %s=%s\n", argv[arg],
		       guard_config_pin_ignored(&config, argv[arg]) ? "yes" : "no");
	guard_config_release(&config);
	return 0;
}
