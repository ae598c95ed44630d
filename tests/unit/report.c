/* guard_report_finish driven from C: baselines, problems and their
 * classes, the format choice, and writing to --output. Reports always go
 * to files here, so that stdout stays TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "log.h"
#include "report.h"
#include "util.h"

#include "tap.h"

static char dir[] = "/tmp/guard-report-XXXXXX";

static const char *temp_path(const char *name)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static void add_finding(struct guard_scan_result *result, const char *rule, const char *path,
			const char *secret)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_finding f;

	memset(&f, 0, sizeof(f));
	f.rule_id = rule;
	f.description = "Test secret";
	f.severity = GUARD_SEVERITY_HIGH;
	f.loc.path = (char *)path;
	f.loc.line = 1;
	f.loc.column = 1;
	f.loc.end_column = (unsigned)strlen(secret) + 1;
	guard_finding_set_secret(&f, secret, strlen(secret), &err);
	guard_finding_fingerprint(&f, &err);
	guard_scan_result_collect(&f, result, &err);
}

static char *read_text(const char *path)
{
	struct guard_error err = GUARD_ERROR_INIT;
	char *data = NULL;
	size_t len;

	if (guard_read_file(path, 1 << 20, &data, &len, &err) < 0)
		return NULL;
	return data;
}

static void test_clean_and_findings(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scan_result result;
	struct guard_options opts;
	char *text;

	guard_options_init(&opts);
	opts.output = temp_path("clean.txt");
	guard_scan_result_init(&result, "scan context", ".");
	TAP_IS_INT(guard_report_finish(&result, &opts, NULL, NULL, &err), GUARD_RESULT_CLEAN,
		   "no findings: clean");
	text = read_text(opts.output);
	TAP_IS_STR(text, "", "clean text report is empty");
	free(text);
	guard_scan_result_release(&result);

	guard_scan_result_init(&result, "scan context", ".");
	add_finding(&result, "rule-b", "b.txt", "secretvalue-bbbbbbbb");
	add_finding(&result, "rule-a", "a.txt", "secretvalue-aaaaaaaa");
	opts.output = temp_path("findings.txt");
	TAP_IS_INT(guard_report_finish(&result, &opts, NULL, NULL, &err), GUARD_RESULT_FINDINGS,
		   "findings: result 1");
	TAP_IS_STR(result.findings.items[0].loc.path, "a.txt", "findings sorted by path");
	text = read_text(opts.output);
	TAP_OK(text && strstr(text, "a.txt:1:1  HIGH  rule-a") != NULL, "text report has the finding");
	TAP_OK(text && !strstr(text, "secretvalue-aaaaaaaa"), "text report has no secret");
	free(text);
	guard_scan_result_release(&result);
}

static void test_format_choice(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scan_result result;
	struct guard_options opts;
	struct guard_config config;
	char *text;

	guard_options_init(&opts);
	guard_config_init(&config);
	config.format = GUARD_FORMAT_JSON;
	config.format_set = true;
	opts.output = temp_path("config-format.out");
	guard_scan_result_init(&result, "scan git", "HEAD");
	add_finding(&result, "rule-a", "a.txt", "secretvalue-aaaaaaaa");
	guard_report_finish(&result, &opts, &config, NULL, &err);
	text = read_text(opts.output);
	TAP_OK(text && text[0] == '{' && strstr(text, "\"command\": \"scan git\""),
	       "format from the configuration: JSON");
	free(text);

	opts.format = GUARD_FORMAT_SARIF;
	opts.format_set = true;
	opts.output = temp_path("option-format.out");
	guard_report_finish(&result, &opts, &config, NULL, &err);
	text = read_text(opts.output);
	TAP_OK(text && strstr(text, "\"version\": \"2.1.0\""), "--format beats the configuration");
	free(text);
	guard_scan_result_release(&result);
	guard_config_release(&config);
}

static void test_baseline(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scan_result result;
	struct guard_options opts;
	struct guard_config config;
	struct guard_baseline baseline;
	const char *written = temp_path("baseline.json");

	guard_options_init(&opts);
	opts.output = temp_path("baseline-run.txt");
	guard_scan_result_init(&result, "scan context", ".");
	add_finding(&result, "rule-a", "a.txt", "secretvalue-aaaaaaaa");
	add_finding(&result, "rule-a", "a.txt", "secretvalue-aaaaaaaa");	/* same fingerprint */
	add_finding(&result, "rule-b", "b.txt", "secretvalue-bbbbbbbb");
	TAP_IS_INT(guard_report_finish(&result, &opts, NULL, written, &err), GUARD_RESULT_FINDINGS,
		   "writing a baseline keeps the result");
	guard_scan_result_release(&result);

	guard_baseline_init(&baseline);
	TAP_IS_INT(guard_baseline_load(&baseline, written, &err), 0, "written baseline loads");
	TAP_IS_INT(baseline.count, 2, "one entry per fingerprint");
	guard_baseline_release(&baseline);

	/* The configuration's baseline applies when there is no --baseline. */
	guard_config_init(&config);
	config.baseline = guard_strdup(written, &err);
	guard_scan_result_init(&result, "scan context", ".");
	add_finding(&result, "rule-a", "a.txt", "secretvalue-aaaaaaaa");
	add_finding(&result, "rule-c", "c.txt", "secretvalue-cccccccc");
	TAP_IS_INT(guard_report_finish(&result, &opts, &config, NULL, &err), GUARD_RESULT_FINDINGS,
		   "a new finding still counts");
	TAP_IS_INT(result.findings.count, 1, "baselined finding dropped");
	TAP_IS_STR(result.findings.items[0].rule_id, "rule-c", "new finding kept");
	TAP_IS_INT(result.stats.findings_baselined, 1, "baselined finding counted");
	guard_scan_result_release(&result);
	guard_config_release(&config);
}

static void test_problems(void)
{
	struct guard_error err = GUARD_ERROR_INIT, problem = GUARD_ERROR_INIT;
	struct guard_scan_result result;
	struct guard_options opts;

	guard_options_init(&opts);
	opts.output = temp_path("problems.txt");
	guard_scan_result_init(&result, "scan image", "app:1");
	add_finding(&result, "rule-a", "a.txt", "secretvalue-aaaaaaaa");
	guard_error_set(&problem, GUARD_ERR_IO, "cannot read 'a.bin': permission denied");
	guard_scan_result_problem(&result, &problem, &err);
	guard_error_set(&problem, GUARD_ERR_NETWORK, "fetching layer 2: timed out");
	guard_scan_result_problem(&result, &problem, &err);
	guard_error_set(&problem, GUARD_ERR_PARSE, "layer 3: invalid tar header");
	guard_scan_result_problem(&result, &problem, &err);
	TAP_IS_INT(result.worst, GUARD_ERR_NETWORK, "the worst class is kept");
	TAP_IS_INT(result.problem_codes[2], GUARD_ERR_PARSE, "each problem keeps its class");

	TAP_IS_INT(guard_report_finish(&result, &opts, NULL, NULL, &err), -1,
		   "problems beat findings");
	TAP_IS_INT(err.code, GUARD_ERR_NETWORK, "error has the worst class");
	TAP_OK(strstr(err.message, "3 items could not be read") != NULL, "message counts problems: %s",
	       err.message);
	guard_scan_result_release(&result);

	guard_error_clear(&err);
	guard_scan_result_init(&result, "scan context", ".");
	result.stats.files_unreadable = 2;
	TAP_IS_INT(guard_report_finish(&result, &opts, NULL, NULL, &err), -1,
		   "unreadable files without problems still fail");
	TAP_IS_INT(err.code, GUARD_ERR_IO, "unreadable files are an I/O error");
	TAP_OK(strstr(err.message, "2 files could not be read") != NULL, "message counts files: %s",
	       err.message);
	guard_scan_result_release(&result);
}

static void test_bad_baseline(void)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_scan_result result;
	struct guard_options opts;

	guard_options_init(&opts);
	opts.output = temp_path("bad-baseline.txt");
	opts.baseline = temp_path("does-not-exist.json");
	guard_scan_result_init(&result, "scan context", ".");
	TAP_IS_INT(guard_report_finish(&result, &opts, NULL, NULL, &err), -1, "missing baseline fails");
	TAP_IS_INT(err.code, GUARD_ERR_IO, "missing baseline is an I/O error");
	guard_scan_result_release(&result);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		TAP_OK(0, "mkdtemp");
		return tap_done();
	}
	guard_log_set_level(GUARD_LOG_QUIET);
	test_clean_and_findings();
	test_format_choice();
	test_baseline();
	test_problems();
	test_bad_baseline();

	unlink(temp_path("clean.txt"));
	unlink(temp_path("findings.txt"));
	unlink(temp_path("config-format.out"));
	unlink(temp_path("option-format.out"));
	unlink(temp_path("baseline.json"));
	unlink(temp_path("baseline-run.txt"));
	unlink(temp_path("problems.txt"));
	rmdir(dir);
	return tap_done();
}
