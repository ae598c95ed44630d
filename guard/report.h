/* Output of scan results (text, JSON, SARIF), baselines, and the common end
 * of every scan command: filter, write, decide the result. */
#ifndef GUARD_REPORT_H
#define GUARD_REPORT_H

#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "finding.h"
#include "scanner.h"

/* What one scan command produced. */
struct guard_scan_result {
	const char *command;		/* "scan context", "scan git", "scan image", "hook pre-push" */
	const char *target;		/* the folder, range or image scanned */
	const char *root;		/* folder that artifact URIs are relative to, or NULL */
	struct guard_findings findings;
	struct guard_scan_stats stats;
	struct guard_string_list problems;	/* what could not be read, one sentence each */
	enum guard_error_code worst;	/* most serious error class met while scanning */
	const char *summary;		/* optional extra summary line for stderr, e.g. git counters */
};

void guard_scan_result_init(struct guard_scan_result *result, const char *command,
			    const char *target);
void guard_scan_result_release(struct guard_scan_result *result);

/* Records that something could not be read: a message for the report and
 * stderr, and the error class so that the exit code is never "clean". */
int guard_scan_result_problem(struct guard_scan_result *result, const struct guard_error *problem,
			      struct guard_error *err);

/* A guard_finding_fn that appends to a guard_scan_result (ctx). */
int guard_scan_result_collect(const struct guard_finding *finding, void *ctx,
			      struct guard_error *err);

/* Ends a scan command: drops findings listed in the baseline, writes a
 * baseline when asked (write_baseline), sorts, writes the report in the
 * chosen format to --output or stdout, prints the summary to stderr, and
 * returns GUARD_RESULT_CLEAN or GUARD_RESULT_FINDINGS, or -1 with err set
 * when something could not be read (that error wins over findings). */
int guard_report_finish(struct guard_scan_result *result, const struct guard_options *opts,
			const struct guard_config *config, const char *write_baseline,
			struct guard_error *err);

#endif
