/* "guard scan image IMAGE": config, history and every layer of an image. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "image_registry.h"
#include "image_scan.h"
#include "log.h"
#include "report.h"
#include "scan_cmds.h"
#include "util.h"

static const char scan_image_usage[] =
	"usage: guard scan image IMAGE [options]\n"
	"\n"
	"Scans an image's config (Env, Labels), its history (build arguments,\n"
	"RUN commands) and every file of every layer, including files that a\n"
	"later layer deletes. IMAGE is one of:\n"
	"  [docker://]NAME[:TAG|@DIGEST]   pulled from its registry\n"
	"  docker-archive:PATH[:NAME]      a docker save tarball\n"
	"  oci:DIR[:REF]                   an OCI image layout folder\n"
	"  oci-archive:PATH[:REF]          an OCI image layout tarball\n"
	"\n"
	"Options:\n"
	"  --platform OS/ARCH[/VARIANT]  scan only this platform of a multi-platform\n"
	"                           image (repeatable; default: every platform)\n"
	"  --max-layer-size SIZE    decompressed bytes read per layer (default 8G)\n"
	"  --max-layer-entries N    entries read per layer or archive (default 1000000)\n"
	"  --write-baseline FILE    write the fingerprints of the findings to FILE\n"
	"\n";

enum {
	OPT_PLATFORM = 1,
	OPT_MAX_LAYER_SIZE,
	OPT_MAX_LAYER_ENTRIES,
	OPT_WRITE_BASELINE,
};

struct scan_image_args {
	struct guard_options opts;
	struct guard_image_options image;
	const char **platforms;
	const char *write_baseline;
	const char *name;
	bool help;
};

static int add_platform(struct scan_image_args *a, const char *platform, struct guard_error *err)
{
	const char **grown;

	if (!strchr(platform, '/'))
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid platform '%s': expected OS/ARCH[/VARIANT], e.g. linux/arm64",
				       platform);
	grown = realloc(a->platforms, (a->image.platform_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	a->platforms = grown;
	grown[a->image.platform_count++] = platform;
	a->image.platforms = grown;
	return 0;
}

static int parse_args(struct scan_image_args *a, int argc, char **argv, struct guard_error *err)
{
	static const struct option long_options[] = {
		GUARD_COMMON_LONG_OPTIONS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "max-layer-size", required_argument, NULL, OPT_MAX_LAYER_SIZE },
		{ "max-layer-entries", required_argument, NULL, OPT_MAX_LAYER_ENTRIES },
		{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
		{ NULL, 0, NULL, 0 },
	};
	int id, handled;

	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, GUARD_COMMON_SHORT_OPTIONS, long_options, NULL)) != -1) {
		handled = guard_options_handle(&a->opts, id, optarg, err);
		if (handled < 0)
			return -1;
		if (handled)
			continue;
		switch (id) {
		case 'h':
			a->help = true;
			return 0;
		case OPT_PLATFORM:
			if (add_platform(a, optarg, err) < 0)
				return -1;
			break;
		case OPT_MAX_LAYER_SIZE:
			if (guard_parse_size(optarg, &a->image.max_layer_bytes, "--max-layer-size",
					     err) < 0)
				return -1;
			break;
		case OPT_MAX_LAYER_ENTRIES:
			if (guard_parse_u64(optarg, 1, UINT64_MAX, &a->image.max_entries,
					    "--max-layer-entries", err) < 0)
				return -1;
			break;
		case OPT_WRITE_BASELINE:
			a->write_baseline = optarg;
			break;
		default:
			return guard_options_usage_error("scan image", argv, err);
		}
	}
	if (optind != argc - 1)
		return guard_error_set(err, GUARD_ERR_USAGE, optind >= argc
				       ? "missing IMAGE to scan (see 'guard scan image --help')"
				       : "one IMAGE at a time, got '%s' too", argv[argc - 1]);
	a->name = argv[optind];
	return 0;
}

static int run_scan(struct scan_image_args *a, struct guard_config *config,
		    struct guard_error *err)
{
	struct guard_image_remote remote = { 0 };
	struct guard_scan_result result;
	struct guard_scanner *scanner = NULL;
	int rc = -1;

	if (config->scan.max_file_size)
		a->image.max_file_bytes = (size_t)config->scan.max_file_size;
	guard_image_remote_init(&remote, &config->registry);
	a->image.remote = guard_image_remote_open;
	a->image.remote_ctx = &remote;
	if (guard_scanner_new(&scanner, &config->scan, err) < 0)
		goto done;

	guard_scan_result_init(&result, "scan image", a->name);
	if (guard_image_scan(a->name, &a->image, scanner, &result, err) == 0)
		rc = guard_report_finish(&result, &a->opts, config, a->write_baseline, err);
	guard_scan_result_release(&result);
done:
	guard_scanner_free(scanner);
	guard_image_remote_release(&remote);
	return rc;
}

int guard_cmd_scan_image(int argc, char **argv, struct guard_error *err)
{
	struct scan_image_args a = { 0 };
	struct guard_config config;
	int rc = -1;

	guard_options_init(&a.opts);
	guard_image_options_init(&a.image);
	guard_config_init(&config);
	if (parse_args(&a, argc, argv, err) < 0)
		goto done;
	if (a.help) {
		fputs(scan_image_usage, stdout);
		fputs(guard_common_options_help, stdout);
		rc = GUARD_RESULT_CLEAN;
		goto done;
	}
	if (guard_config_load(&config, a.opts.config_path, ".", err) < 0 ||
	    guard_config_apply_options(&config, &a.opts, err) < 0)
		goto done;
	rc = run_scan(&a, &config, err);
done:
	guard_config_release(&config);
	guard_options_release(&a.opts);
	free(a.platforms);
	return rc;
}
