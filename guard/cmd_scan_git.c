/* "guard scan git": secrets in git history or in the staged changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "log.h"
#include "scan_cmds.h"
#include "source_git.h"
#include "util.h"

static const char scan_git_usage[] =
	"usage: guard scan git [REVISION-RANGE...] [--staged] [options]\n"
	"\n"
	"Scan what commits add to git history for secrets. Without a range, every\n"
	"commit reachable from any ref (and HEAD) is scanned. Ranges are written as\n"
	"for git log: A..B, A...B, a single commit, or ^X to exclude X's history.\n"
	"Each unique blob is scanned once; a finding names the commit that added it.\n"
	"\n"
	"Options:\n"
	"      --staged              scan the staged changes (the index compared with\n"
	"                            HEAD) instead of history, for a pre-commit hook\n"
	"      --max-blob-size SIZE  largest blob to scan, in bytes; K, M and G suffixes\n"
	"                            are powers of 1024 (default 10M, or scan.max-file-size\n"
	"                            from .guard.yaml). A larger blob is not scanned and\n"
	"                            makes the scan incomplete (exit code 3)\n"
	"      --write-baseline FILE write the findings to FILE as a baseline\n"
	"  -j, --jobs N              scan with N threads, 1 to 64 (default: one per CPU,\n"
	"                            at most 8)\n"
	"\n";

enum {
	OPT_STAGED = 1,
	OPT_MAX_BLOB_SIZE,
	OPT_WRITE_BASELINE,
};

static const struct option scan_git_options[] = {
	GUARD_COMMON_LONG_OPTIONS,
	{ "staged", no_argument, NULL, OPT_STAGED },
	{ "max-blob-size", required_argument, NULL, OPT_MAX_BLOB_SIZE },
	{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
	{ "jobs", required_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

struct scan_git_args {
	struct guard_options options;
	struct guard_git_report_options report;
	bool staged;
	bool help;
};

static int parse_args(struct scan_git_args *args, int argc, char **argv, struct guard_error *err)
{
	int c, handled;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j:" GUARD_COMMON_SHORT_OPTIONS, scan_git_options,
				NULL)) != -1) {
		handled = guard_options_handle(&args->options, c, optarg, err);
		if (handled < 0)
			return -1;
		if (handled)
			continue;
		switch (c) {
		case 'h':
			args->help = true;
			break;
		case OPT_STAGED:
			args->staged = true;
			break;
		case OPT_MAX_BLOB_SIZE:
			if (guard_git_scan_option_max_blob_size(&args->report.scan, optarg, err) < 0)
				return -1;
			break;
		case OPT_WRITE_BASELINE:
			args->report.write_baseline = optarg;
			break;
		case 'j':
			if (guard_git_scan_option_jobs(&args->report.scan, optarg, err) < 0)
				return -1;
			break;
		default:
			return guard_options_usage_error("scan git", argv, err);
		}
	}
	return 0;
}

/* Joins the ranges into the report's target, "all refs" without one. */
static char *describe_target(int argc, char **argv, bool staged, struct guard_error *err)
{
	struct guard_buf buf = GUARD_BUF_INIT(64 * 1024);
	int i;

	if (staged)
		return guard_strdup("staged changes", err);
	if (argc == 0)
		return guard_strdup("all refs", err);
	for (i = 0; i < argc; i++)
		if (guard_buf_printf(&buf, err, "%s%s", i ? " " : "", argv[i]) < 0) {
			guard_buf_release(&buf);
			return NULL;
		}
	return guard_buf_detach(&buf, NULL);
}

static int select_commits(struct guard_git *git, int argc, char **argv, bool staged,
			  struct guard_error *err)
{
	int i;

	if (staged) {
		if (argc > 0)
			return guard_error_set(err, GUARD_ERR_USAGE,
					       "--staged scans the index, so it takes no revision range");
		guard_git_select_staged(git);
		return 0;
	}
	if (argc == 0)
		return guard_git_select_all(git, err);
	for (i = 0; i < argc; i++)
		if (guard_git_select_spec(git, argv[i], err) < 0)
			return -1;
	return 0;
}

int guard_cmd_scan_git(int argc, char **argv, struct guard_error *err)
{
	struct scan_git_args args;
	struct guard_git *git = NULL;
	char *target = NULL;
	int rc = -1;

	memset(&args, 0, sizeof(args));
	guard_options_init(&args.options);
	if (parse_args(&args, argc, argv, err) < 0)
		goto out;
	if (args.help) {
		fputs(scan_git_usage, stdout);
		fputs(guard_common_options_help, stdout);
		rc = GUARD_RESULT_CLEAN;
		goto out;
	}

	target = describe_target(argc - optind, argv + optind, args.staged, err);
	if (!target || guard_git_open(&git, err) < 0 ||
	    select_commits(git, argc - optind, argv + optind, args.staged, err) < 0)
		goto out;

	args.report.command = "scan git";
	args.report.target = target;
	args.report.options = &args.options;
	rc = guard_git_scan_report(git, &args.report, err);
out:
	guard_git_free(git);
	free(target);
	guard_options_release(&args.options);
	return rc;
}
