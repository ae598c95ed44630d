/* Output of scan results (text, JSON, SARIF), baselines, and the common end
 * of every scan command: filter, write, decide the result. */
#ifndef GUARD_REPORT_H
#define GUARD_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"

#include "cli.h"
#include "config.h"
#include "error.h"
#include "finding.h"
#include "scanner.h"

/* The output of one scan command, before it is filtered and written. */
struct guard_scan_result {
	const char *command;		/* "scan context", "scan git", "scan image", "hook pre-push" */
	const char *target;		/* the folder, range or image scanned */
	const char *root;		/* folder that artifact URIs are relative to, or NULL */
	struct guard_findings findings;
	struct guard_scan_stats stats;
	struct guard_string_list problems;	/* what could not be read, one sentence each */
	enum guard_error_code worst;	/* most serious error class met while scanning */
	const char *summary;		/* optional extra summary line for stderr, e.g. git counters */
	bool compact_summary;		/* a clean result prints only summary (pre-push) */
	enum guard_error_code *problem_codes;	/* class of each problem, owned */
};

/* Formats a byte count with a binary unit ("512 bytes", "1.5 MiB"). */
void guard_format_bytes(uint64_t bytes, char *out, size_t size);

/* Largest report guard writes; a larger one fails with GUARD_ERR_LIMIT. */
#define GUARD_REPORT_MAX_BYTES ((size_t)512 * 1024 * 1024)


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

/* Ends a scan command. Writes a baseline of all findings when
 * write_baseline is set, drops findings listed in the baseline in use,
 * sorts, writes the report in the chosen format to --output or stdout, and
 * prints the summary to stderr. Returns GUARD_RESULT_CLEAN or
 * GUARD_RESULT_FINDINGS. Returns -1 with err set when something could not
 * be read, because an incomplete scan must not pass as clean. Each problem
 * was already printed, so err only states how many there were. */
int guard_report_finish(struct guard_scan_result *result, const struct guard_options *opts,
			const struct guard_config *config, const char *write_baseline,
			struct guard_error *err);

/* Report writers: each appends the whole document to out. text colours
 * severities with ANSI sequences when color is set. */
int guard_report_write_text(const struct guard_scan_result *result, bool color,
			    struct guard_buf *out, struct guard_error *err);
int guard_report_write_json(const struct guard_scan_result *result, struct guard_buf *out,
			    struct guard_error *err);
int guard_report_write_sarif(const struct guard_scan_result *result, struct guard_buf *out,
			     struct guard_error *err);

/* Length of the valid UTF-8 sequence at s (1 to 4) with its code point
 * in *cp, or 0 when the bytes are not valid UTF-8 (overlong forms and
 * surrogates included). */
size_t guard_report_utf8_decode(const unsigned char *s, size_t len, unsigned long *cp);

/* True when the finding was made in its build step text (origin
 * "history"), so its line and columns point into loc->step. */
bool guard_report_step_contains_secret(const struct guard_location *loc);

/* Appends loc->step, a build step (history created_by), for display, cut
 * after max bytes. A finding made in the step has its secret, marked by
 * line and columns, replaced by "…". Builders also record build-arg, ARG
 * and ENV values in steps, and RUN commands may carry other secrets
 * inline. So every K=V value, and every word of 8 or more bytes with a
 * digit or a capital letter, becomes "…" as well.
 * NOTE: another secret made only of lowercase letters and punctuation
 * would still show. */
/* Writes text (a commit subject) with every word that could be a secret
 * masked, as guard_report_redact_step does for steps without a finding. */
int guard_report_redact_text(const char *text, size_t max, struct guard_buf *out,
			     struct guard_error *err);

int guard_report_redact_step(const struct guard_location *loc, size_t max,
			     struct guard_buf *out, struct guard_error *err);

struct json_t;

/* Returns a JSON string of s (NULL for JSON null). Bytes that are not
 * valid UTF-8, such as a Latin-1 file name, become U+FFFD. Returns NULL
 * only when out of memory. */
struct json_t *guard_report_json_string(const char *s);

/* Serialises root with two-space indentation and a final newline into a
 * string the caller frees. */
int guard_report_dump_json(struct json_t *root, char **text, size_t *len,
			   struct guard_error *err);

#endif
