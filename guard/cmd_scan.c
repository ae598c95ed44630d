/* "guard scan": dispatches to the source being scanned. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scan_cmds.h"

static const char scan_usage[] =
	"usage: guard scan context [DIR] [-f DOCKERFILE] [options]\n"
	"       guard scan git [RANGE...] [--staged] [options]\n"
	"       guard scan image IMAGE [options]\n"
	"\n"
	"Run 'guard scan <source> --help' for the options of each source.\n";

struct scan_source {
	const char *name;
	int (*run)(int argc, char **argv, struct guard_error *err);
};

static const struct scan_source sources[] = {
	{ "context", guard_cmd_scan_context },
	{ "git", guard_cmd_scan_git },
	{ "image", guard_cmd_scan_image },
};

int guard_cmd_scan(int argc, char **argv, struct guard_error *err)
{
	size_t i;

	if (argc < 2) {
		fputs(scan_usage, stderr);
		return guard_error_set(err, GUARD_ERR_USAGE, "missing what to scan: context, git or image");
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(scan_usage, stdout);
		return GUARD_RESULT_CLEAN;
	}
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(argv[1], sources[i].name) == 0)
			return sources[i].run(argc - 1, argv + 1, err);
	return guard_error_set(err, GUARD_ERR_USAGE,
			       "unknown scan source '%s': expected context, git or image", argv[1]);
}
