/* "guard scan context": what docker build would send, and the Dockerfile. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "report.h"
#include "scan_cmds.h"
#include "scanner.h"
#include "source_context.h"

static const char context_usage[] =
	"usage: guard scan context [DIR] [-f DOCKERFILE] [options]\n"
	"\n"
	"Scans the files that 'docker build DIR' sends to the builder (DIR defaults\n"
	"to '.'), honouring .dockerignore as BuildKit does, and the Dockerfile\n"
	"itself: literal secrets, ENV and ARG values with secret names, and COPY\n"
	"or ADD of secret files.\n"
	"\n"
	"Options:\n"
	"  -f, --file DOCKERFILE     the Dockerfile (default DIR/Dockerfile); a\n"
	"                            DOCKERFILE.dockerignore beside it replaces\n"
	"                            DIR/.dockerignore\n"
	"      --all-files           scan every file, ignoring .dockerignore\n"
	"      --write-baseline FILE record the current findings as accepted\n";

enum {
	OPT_ALL_FILES = 1,
	OPT_WRITE_BASELINE,
};

int guard_cmd_scan_context(int argc, char **argv, struct guard_error *err)
{
	static const struct option long_options[] = {
		GUARD_COMMON_LONG_OPTIONS,
		{ "file", required_argument, NULL, 'f' },
		{ "all-files", no_argument, NULL, OPT_ALL_FILES },
		{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
		{ NULL, 0, NULL, 0 },
	};
	struct guard_context_options ctx = { 0 };
	struct guard_options opts;
	struct guard_config config;
	struct guard_scan_result result;
	struct guard_scanner *scanner = NULL;
	const char *write_baseline = NULL;
	int c, handled, rc = -1;

	guard_options_init(&opts);
	guard_config_init(&config);
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:" GUARD_COMMON_SHORT_OPTIONS, long_options, NULL)) != -1) {
		handled = guard_options_handle(&opts, c, optarg, err);
		if (handled < 0)
			goto out;
		if (handled)
			continue;
		switch (c) {
		case 'h':
			fputs(context_usage, stdout);
			fputs("\n", stdout);
			fputs(guard_common_options_help, stdout);
			rc = GUARD_RESULT_CLEAN;
			goto out;
		case 'f':
			ctx.dockerfile = optarg;
			break;
		case OPT_ALL_FILES:
			ctx.all_files = true;
			break;
		case OPT_WRITE_BASELINE:
			write_baseline = optarg;
			break;
		default:
			guard_options_usage_error("scan context", argv, err);
			goto out;
		}
	}
	if (argc - optind > 1) {
		guard_error_set(err, GUARD_ERR_USAGE,
				"too many arguments: guard scan context takes one folder");
		goto out;
	}
	ctx.dir = optind < argc ? argv[optind] : ".";

	if (guard_config_load(&config, opts.config_path, ctx.dir, err) < 0 ||
	    guard_config_apply_options(&config, &opts, err) < 0)
		goto out;
	ctx.config = &config;
	if (guard_scanner_new(&scanner, &config.scan, err) < 0)
		goto out;

	guard_scan_result_init(&result, "scan context", ctx.dir);
	result.root = ".";
	if (guard_context_scan(scanner, &ctx, &result, err) == 0)
		rc = guard_report_finish(&result, &opts, &config, write_baseline, err);
	guard_scan_result_release(&result);

out:
	guard_scanner_free(scanner);
	guard_config_release(&config);
	guard_options_release(&opts);
	return rc;
}
