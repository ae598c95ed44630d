/* Builds a fixed set of findings (context-, git- and image-like, with fake
 * secrets that tests/t21xx-report-*.t know) and ends like a scan command,
 * through guard_report_finish with the shared options given.
 *
 * usage: report-fixture [--none] [--problem] [--summary TEXT] [--root DIR]
 *                       [--write-baseline FILE] [shared options]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "report.h"

enum { OPT_NONE = 1, OPT_PROBLEM, OPT_SUMMARY, OPT_ROOT, OPT_WRITE_BASELINE };

struct fixture {
	const char *rule;
	const char *description;
	enum guard_severity severity;
	const char *hint;
	const char *message;
	const char *secret;
	struct guard_location loc;
};

#define COMMIT_ID "0123456789abcdef0123456789abcdef01234567"
#define LAYER_ID "sha256:3b1c0e5a7f9d2c4b6a8e0f1d3c5b7a9e1f2d4c6b8a0e3f5d7c9b1a2e4f6d8c0b"

static const struct fixture fixtures[] = {
	{ "github-pat", "GitHub personal access token", GUARD_SEVERITY_HIGH,
	  "Revoke the token on GitHub and read it from a build secret instead.", NULL,
	  "ghp_R3p0rtF1xtureT0ken0000000000000000000",
	  { .path = "src/settings.py", .line = 12, .column = 9, .end_column = 49 } },
	{ "github-pat", "GitHub personal access token", GUARD_SEVERITY_HIGH,
	  "Revoke the token on GitHub and read it from a build secret instead.", NULL,
	  "ghp_Th1rdF1xtureT0ken2222222222222222222",
	  { .path = "src/settings.py", .line = 20, .column = 9, .end_column = 49 } },
	{ "aws-access-key-id", "AWS access key ID", GUARD_SEVERITY_CRITICAL,
	  "Deactivate the key in IAM and use a role or a build secret.", NULL,
	  "AKIAREPORTFIXTURE777",
	  { .path = ".env", .line = 1, .column = 19, .end_column = 39 } },
	{ "generic-password", "Password assignment", GUARD_SEVERITY_MEDIUM,
	  "Move the password out of the file.", "The value is short; check that it is real.",
	  "pw1234",
	  { .path = "config/db.yml", .line = 4, .column = 13, .end_column = 19 } },
	{ "private-key-file", "Private key file", GUARD_SEVERITY_HIGH,
	  "Keep keys out of the build context; add them to .dockerignore.", NULL,
	  "-----BEGIN OPENSSH PRIVATE KEY-----RePoRtFiXtUrEkEy",
	  { .path = "keys/id_rsa", .line = 0 } },
	{ "slack-bot-token", "Slack bot token", GUARD_SEVERITY_HIGH,
	  "Revoke the token in Slack; rewriting history does not revoke it.", NULL,
	  "xoxb-2222222222-report-fixture-slack",
	  { .path = "deploy/notify.sh", .line = 7, .column = 15, .end_column = 51,
	    .commit = COMMIT_ID, .author = "Dana Reporter <dana@test.invalid>",
	    .date = "2026-11-30T10:00:00Z", .subject = "Add the notification hook" } },
	{ "stripe-secret-key", "Stripe secret key", GUARD_SEVERITY_CRITICAL,
	  "Roll the key in Stripe; deleting the file in a later layer keeps it in the image.",
	  NULL, "sk_live_ReportFixtureStripeKey0001",
	  { .path = "app/.npmrc", .line = 2, .column = 7, .end_column = 41,
	    .image = "registry.test/app:1.0", .platform = "linux/amd64", .layer = LAYER_ID,
	    .layer_index = 3, .removed = true, .origin = "layer",
	    .step = "RUN |1 NPM_TOKEN=npm_SecretFixtureValue000000000000000000 /bin/sh -c npm ci && echo Zm9vYmFyU2VjcmV0VmFsdWU1 > /app/.npmrc # buildkit" } },
	{ "generic-password", "Password assignment", GUARD_SEVERITY_MEDIUM,
	  "Pass the password with a build secret.", NULL,
	  "lowercasepassphrase",
	  { .line = 1, .column = 16, .end_column = 35, .image = "registry.test/app:1.0",
	    .platform = "linux/amd64", .layer_index = 4, .origin = "history",
	    .step = "RUN echo login lowercasepassphrase | tee /dev/null # buildkit" } },
	{ "npm-access-token", "npm access token", GUARD_SEVERITY_HIGH,
	  "Pass the token with a build secret, not ENV.", NULL,
	  "npm_SecretFixtureValue000000000000000000",
	  { .line = 0, .image = "registry.test/app:1.0", .platform = "linux/amd64",
	    .origin = "config.Env" } },
	{ "github-pat", "GitHub personal access token", GUARD_SEVERITY_HIGH,
	  "Revoke the token on GitHub and read it from a build secret instead.", NULL,
	  "ghp_0therF1xtureT0ken11111111111111111111",
	  { .path = "docs/odd \x1b[31mname\xe9.md", .line = 3, .column = 1, .end_column = 41 } },
};

static int add_fixtures(struct guard_scan_result *result, struct guard_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *x = &fixtures[i];
		struct guard_finding f;

		memset(&f, 0, sizeof(f));
		f.rule_id = x->rule;
		f.description = x->description;
		f.severity = x->severity;
		f.hint = x->hint;
		f.message = (char *)x->message;
		f.loc = x->loc;
		if (guard_finding_set_secret(&f, x->secret, strlen(x->secret), err) < 0 ||
		    guard_finding_fingerprint(&f, err) < 0 ||
		    guard_scan_result_collect(&f, result, err) < 0)
			return -1;
	}
	result->stats.files_scanned = 42;
	result->stats.bytes_scanned = 1536000;
	result->stats.files_binary = 3;
	result->stats.files_too_large = 1;
	result->stats.files_ignored = 5;
	result->stats.findings_allowed = 2;
	return 0;
}

static int run(int argc, char **argv, struct guard_options *opts, struct guard_error *err)
{
	static const struct option options[] = {
		GUARD_COMMON_LONG_OPTIONS,
		{ "none", no_argument, NULL, OPT_NONE },
		{ "problem", no_argument, NULL, OPT_PROBLEM },
		{ "summary", required_argument, NULL, OPT_SUMMARY },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "write-baseline", required_argument, NULL, OPT_WRITE_BASELINE },
		{ NULL, 0, NULL, 0 },
	};
	struct guard_scan_result result;
	const char *write_baseline = NULL;
	bool none = false, problem = false;
	int c, rc;

	guard_scan_result_init(&result, "scan context", "fixture");
	while ((c = getopt_long(argc, argv, GUARD_COMMON_SHORT_OPTIONS, options, NULL)) != -1) {
		if (c == OPT_NONE) {
			none = true;
		} else if (c == OPT_PROBLEM) {
			problem = true;
		} else if (c == OPT_SUMMARY) {
			result.summary = optarg;
		} else if (c == OPT_ROOT) {
			result.root = optarg;
		} else if (c == OPT_WRITE_BASELINE) {
			write_baseline = optarg;
		} else if (c == 'q') {
			guard_log_set_level(GUARD_LOG_QUIET);
		} else if (guard_options_handle(opts, c, optarg, err) != 1) {
			guard_scan_result_release(&result);
			return guard_error_set(err, GUARD_ERR_USAGE, "invalid option");
		}
	}

	rc = none ? 0 : add_fixtures(&result, err);
	if (rc == 0 && problem) {
		struct guard_error unreadable = GUARD_ERROR_INIT;

		guard_error_set(&unreadable, GUARD_ERR_IO, "cannot read 'secrets/vault.bin': permission denied");
		rc = guard_scan_result_problem(&result, &unreadable, err);
	}
	if (rc == 0)
		rc = guard_report_finish(&result, opts, NULL, write_baseline, err);
	guard_scan_result_release(&result);
	return rc;
}

int main(int argc, char **argv)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_options opts;
	int rc;

	guard_options_init(&opts);
	rc = run(argc, argv, &opts, &err);
	guard_options_release(&opts);
	if (rc >= 0)
		return rc;
	guard_log_report(&err);
	switch (err.code) {
	case GUARD_ERR_USAGE: return 2;
	case GUARD_ERR_PARSE:
	case GUARD_ERR_IO:
	case GUARD_ERR_LIMIT: return 3;
	case GUARD_ERR_NOTFOUND:
	case GUARD_ERR_AUTH:
	case GUARD_ERR_NETWORK: return 4;
	default: return 5;
	}
}
