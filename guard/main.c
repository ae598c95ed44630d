/* guard: pins container image references and keeps secrets out of builds.
 * This file owns the process: library set-up, subcommand dispatch, and the
 * mapping from results and error classes to exit codes. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdbool.h>
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "log.h"

/* The exit codes are a contract with scripts and CI; README.md and the help
 * text below list the same table. */
enum guard_exit {
	GUARD_EXIT_CLEAN = 0,
	GUARD_EXIT_FINDINGS = 1,
	GUARD_EXIT_USAGE = 2,
	GUARD_EXIT_INPUT = 3,
	GUARD_EXIT_REGISTRY = 4,
	GUARD_EXIT_INTERNAL = 5,
};

static const char usage_text[] =
	"usage: guard <command> [options] [arguments]\n"
	"\n"
	"Commands:\n"
	"  pin [PATH...]            pin image references in Dockerfiles, compose and\n"
	"                           Kubernetes files to registry digests\n"
	"  scan context [DIR]       scan what 'docker build DIR' sends, and the Dockerfile\n"
	"  scan git [RANGE...]      scan git history (or --staged) for secrets\n"
	"  scan image IMAGE         scan an image's config, history and every layer\n"
	"  hook pre-push REMOTE URL run as a git pre-push hook (reads git's stdin)\n"
	"  hook install [--force]   install the pre-push hook in this repository\n"
	"  rules                    list the secret detection rules\n"
	"  version                  print guard's version\n"
	"\n"
	"Run 'guard <command> --help' for the options of a command.\n"
	"\n"
	"Exit codes:\n"
	"  0  clean: nothing to report\n"
	"  1  findings, or unpinned references\n"
	"  2  usage error\n"
	"  3  input that could not be parsed or read\n"
	"  4  registry or network failure\n"
	"  5  internal error\n";

static int cmd_version(int argc, char **argv, struct guard_error *err)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs("usage: guard version\n\nPrints the version of guard and of the libcurl "
		      "and libgit2 it runs with.\n", stdout);
		return GUARD_RESULT_CLEAN;
	}
	if (argc > 1)
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "unexpected argument '%s' for 'guard version'", argv[1]);
	printf("guard %s\n", GUARD_VERSION);
	printf("libcurl %s, libgit2 %d.%d.%d\n", curl_version_info(CURLVERSION_NOW)->version,
	       LIBGIT2_VER_MAJOR, LIBGIT2_VER_MINOR, LIBGIT2_VER_REVISION);
	return GUARD_RESULT_CLEAN;
}

static int cmd_help(int argc, char **argv, struct guard_error *err)
{
	(void)argc;
	(void)argv;
	(void)err;
	fputs(usage_text, stdout);
	return GUARD_RESULT_CLEAN;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv, struct guard_error *err);
};

static const struct command commands[] = {
	{ "pin", guard_cmd_pin },
	{ "scan", guard_cmd_scan },
	{ "hook", guard_cmd_hook },
	{ "rules", guard_cmd_rules },
	{ "version", cmd_version },
	{ "--version", cmd_version },
	{ "help", cmd_help },
	{ "--help", cmd_help },
	{ "-h", cmd_help },
};

static int exit_code_for(enum guard_error_code code)
{
	switch (code) {
	case GUARD_OK:
		return GUARD_EXIT_CLEAN;
	case GUARD_ERR_USAGE:
		return GUARD_EXIT_USAGE;
	case GUARD_ERR_PARSE:
	case GUARD_ERR_IO:
	case GUARD_ERR_LIMIT:
		return GUARD_EXIT_INPUT;
	case GUARD_ERR_NOTFOUND:
	case GUARD_ERR_AUTH:
	case GUARD_ERR_NETWORK:
		return GUARD_EXIT_REGISTRY;
	case GUARD_ERR_INTERNAL:
		return GUARD_EXIT_INTERNAL;
	}
	return GUARD_EXIT_INTERNAL;
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	const struct command *command = NULL;
	bool uses_git;
	size_t i;
	int rc;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return GUARD_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			command = &commands[i];
			break;
		}
	}
	if (!command) {
		guard_log_error("unknown command '%s'; run 'guard --help' for the list", argv[1]);
		return GUARD_EXIT_USAGE;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		guard_log_error("cannot initialise libcurl");
		return GUARD_EXIT_INTERNAL;
	}
	/* libgit2's set-up loads the TLS trust store, a few milliseconds that
	 * only the commands reading git repositories need. */
	uses_git = strcmp(command->name, "hook") == 0 ||
		   (strcmp(command->name, "scan") == 0 && argc > 2 && strcmp(argv[2], "git") == 0);
	if (uses_git && git_libgit2_init() < 0) {
		guard_log_error("cannot initialise libgit2");
		curl_global_cleanup();
		return GUARD_EXIT_INTERNAL;
	}

	/* Subcommands report unknown options themselves, naming the option. */
	opterr = 0;
	rc = command->run(argc - 1, argv + 1, &err);

	if (uses_git)
		git_libgit2_shutdown();
	curl_global_cleanup();

	if (rc < 0) {
		if (err.code == GUARD_OK)
			err.code = GUARD_ERR_INTERNAL;
		guard_log_report(&err);
		return exit_code_for(err.code);
	}
	return rc == GUARD_RESULT_FINDINGS ? GUARD_EXIT_FINDINGS : GUARD_EXIT_CLEAN;
}
