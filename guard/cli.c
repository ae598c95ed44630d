#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

const char guard_common_options_help[] =
	"Shared options:\n"
	"      --format text|json|sarif  output format (default text; pin and rules\n"
	"                                write text or json)\n"
	"      --output FILE             write results to FILE instead of stdout\n"
	"      --config FILE             read settings from FILE instead of .guard.yaml\n"
	"      --baseline FILE           scans: do not report findings recorded in FILE\n"
	"      --registry-mirror HOST=URL\n"
	"                                pin, scan image: send requests for registry\n"
	"                                HOST to URL\n"
	"      --insecure-registry HOST  pin, scan image: allow plain HTTP to HOST\n"
	"                                (loopback always is)\n"
	"      --ca-file FILE            pin, scan image: also trust the CA\n"
	"                                certificates in FILE\n"
	"  -q, --quiet                   print errors only\n"
	"  -v, --verbose                 print progress notes (-vv: protocol details)\n"
	"  -h, --help                    show this help\n";

void guard_options_init(struct guard_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->format = GUARD_FORMAT_TEXT;
}

void guard_options_release(struct guard_options *opts)
{
	size_t i;

	for (i = 0; i < opts->mirror_count; i++) {
		free(opts->mirrors[i].host);
		free(opts->mirrors[i].url);
	}
	free(opts->mirrors);
	free(opts->insecure);
	memset(opts, 0, sizeof(*opts));
}

static int parse_format(struct guard_options *opts, const char *arg,
			struct guard_error *err)
{
	if (strcmp(arg, "text") == 0)
		opts->format = GUARD_FORMAT_TEXT;
	else if (strcmp(arg, "json") == 0)
		opts->format = GUARD_FORMAT_JSON;
	else if (strcmp(arg, "sarif") == 0)
		opts->format = GUARD_FORMAT_SARIF;
	else
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid --format '%s': expected text, json or sarif", arg);
	opts->format_set = true;
	return 0;
}

static int add_mirror(struct guard_options *opts, const char *arg,
		      struct guard_error *err)
{
	const char *eq = strchr(arg, '=');
	struct guard_mirror_opt *grown;

	if (!eq || eq == arg || !eq[1])
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid --registry-mirror '%s': expected HOST=URL, "
				       "for example docker.io=http://127.0.0.1:5000", arg);
	if (!guard_has_prefix(eq + 1, "http://") && !guard_has_prefix(eq + 1, "https://"))
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid --registry-mirror '%s': the URL must start with "
				       "http:// or https://", arg);

	grown = realloc(opts->mirrors, (opts->mirror_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	opts->mirrors = grown;
	grown[opts->mirror_count].host = strndup(arg, (size_t)(eq - arg));
	grown[opts->mirror_count].url = strdup(eq + 1);
	if (!grown[opts->mirror_count].host || !grown[opts->mirror_count].url) {
		free(grown[opts->mirror_count].host);
		free(grown[opts->mirror_count].url);
		return guard_error_oom(err);
	}
	opts->mirror_count++;
	return 0;
}

static int add_insecure(struct guard_options *opts, const char *arg,
			struct guard_error *err)
{
	const char **grown;

	if (!*arg)
		return guard_error_set(err, GUARD_ERR_USAGE, "empty --insecure-registry value");
	grown = realloc(opts->insecure, (opts->insecure_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	opts->insecure = grown;
	grown[opts->insecure_count++] = arg;
	return 0;
}

int guard_options_handle(struct guard_options *opts, int id, const char *arg,
			 struct guard_error *err)
{
	switch (id) {
	case GUARD_OPT_FORMAT:
		return parse_format(opts, arg, err) < 0 ? -1 : 1;
	case GUARD_OPT_OUTPUT:
		opts->output = arg;
		return 1;
	case GUARD_OPT_CONFIG:
		opts->config_path = arg;
		return 1;
	case GUARD_OPT_BASELINE:
		opts->baseline = arg;
		return 1;
	case GUARD_OPT_MIRROR:
		return add_mirror(opts, arg, err) < 0 ? -1 : 1;
	case GUARD_OPT_INSECURE:
		return add_insecure(opts, arg, err) < 0 ? -1 : 1;
	case GUARD_OPT_CA_FILE:
		opts->ca_file = arg;
		return 1;
	case 'q':
		opts->verbosity = -1;
		guard_log_set_level(GUARD_LOG_QUIET);
		return 1;
	case 'v':
		if (opts->verbosity < 2)
			opts->verbosity++;
		guard_log_set_level(opts->verbosity >= 2 ? GUARD_LOG_DEBUG : GUARD_LOG_VERBOSE);
		return 1;
	default:
		return 0;
	}
}

int guard_options_usage_error(const char *command, char **argv, struct guard_error *err)
{
	/* getopt_long has just consumed the offending word: an unknown option,
	 * or an option whose value is missing. */
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;

	if (arg && arg[0] == '-')
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "unknown option, or option without its value: '%s'; run "
				       "'guard %s --help'", arg, command);
	return guard_error_set(err, GUARD_ERR_USAGE,
			       "invalid arguments for 'guard %s'; run 'guard %s --help'", command, command);
}

int guard_options_open_output(const struct guard_options *opts, void **file,
			      struct guard_error *err)
{
	FILE *f;

	if (!opts->output || strcmp(opts->output, "-") == 0) {
		*file = stdout;
		return 0;
	}
	f = fopen(opts->output, "w");
	if (!f)
		return guard_error_set(err, GUARD_ERR_IO, "cannot open output file '%s': %s",
				       opts->output, strerror(errno));
	*file = f;
	return 0;
}
