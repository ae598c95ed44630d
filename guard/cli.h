/* Options shared by every subcommand, and the subcommand entry points. */
#ifndef GUARD_CLI_H
#define GUARD_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The result of a subcommand that did not fail. main.c turns these and
 * error codes into the process exit code. */
enum guard_result {
	GUARD_RESULT_CLEAN = 0,		/* nothing to report */
	GUARD_RESULT_FINDINGS = 1,	/* findings, or unpinned references */
};

enum guard_format {
	GUARD_FORMAT_TEXT = 0,
	GUARD_FORMAT_JSON,
	GUARD_FORMAT_SARIF,
};

/* "HOST=URL" from --registry-mirror. */
struct guard_mirror_opt {
	char *host;
	char *url;
};

/* The shared options of the command surface. Values point into argv or are
 * owned by this struct (released by guard_options_release). */
struct guard_options {
	enum guard_format format;
	bool format_set;
	const char *output;		/* --output FILE, NULL for stdout */
	const char *config_path;	/* --config FILE */
	const char *baseline;		/* --baseline FILE */
	const char *ca_file;		/* --ca-file FILE */
	struct guard_mirror_opt *mirrors;
	size_t mirror_count;
	const char **insecure;		/* --insecure-registry HOST */
	size_t insecure_count;
	int verbosity;			/* -1 quiet, 0 normal, 1 -v, 2 -vv */
};

/* getopt_long ids of the shared options; subcommands use ids below 1000
 * or single characters for their own options. */
enum {
	GUARD_OPT_FORMAT = 1000,
	GUARD_OPT_OUTPUT,
	GUARD_OPT_CONFIG,
	GUARD_OPT_BASELINE,
	GUARD_OPT_MIRROR,
	GUARD_OPT_INSECURE,
	GUARD_OPT_CA_FILE,
	GUARD_OPT_HELP,
};

/* Entries to put first in a subcommand's struct option array. */
#define GUARD_COMMON_LONG_OPTIONS \
	{ "format", required_argument, NULL, GUARD_OPT_FORMAT }, \
	{ "output", required_argument, NULL, GUARD_OPT_OUTPUT }, \
	{ "config", required_argument, NULL, GUARD_OPT_CONFIG }, \
	{ "baseline", required_argument, NULL, GUARD_OPT_BASELINE }, \
	{ "registry-mirror", required_argument, NULL, GUARD_OPT_MIRROR }, \
	{ "insecure-registry", required_argument, NULL, GUARD_OPT_INSECURE }, \
	{ "ca-file", required_argument, NULL, GUARD_OPT_CA_FILE }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }

/* Short options of the shared set, to put in a getopt_long optstring. */
#define GUARD_COMMON_SHORT_OPTIONS "qvh"

/* The help lines of the shared options, for each subcommand's --help. */
extern const char guard_common_options_help[];

void guard_options_init(struct guard_options *opts);
void guard_options_release(struct guard_options *opts);

/* Handles one shared option returned by getopt_long. Returns 1 when the
 * option was a shared one, 0 when it was not, and -1 on an invalid value.
 * -h is not handled here: each subcommand prints its own help. */
int guard_options_handle(struct guard_options *opts, int id, const char *arg,
			 struct guard_error *err);

/* Sets the usage error for an unknown option or a missing value, naming the
 * subcommand so that the hint points at its --help. */
int guard_options_usage_error(const char *command, char **argv, struct guard_error *err);

/* Opens opts->output (or stdout) for writing results. */
int guard_options_open_output(const struct guard_options *opts, void **file,
			      struct guard_error *err);

/* Subcommands. argv[0] is the subcommand name; each returns a
 * guard_result, or -1 with err set. */
int guard_cmd_pin(int argc, char **argv, struct guard_error *err);
int guard_cmd_scan(int argc, char **argv, struct guard_error *err);
int guard_cmd_hook(int argc, char **argv, struct guard_error *err);
int guard_cmd_rules(int argc, char **argv, struct guard_error *err);

#endif
