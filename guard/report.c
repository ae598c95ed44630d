/* The common end of every scan command: baseline, output, summary, result. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "log.h"
#include "report.h"
#include "util.h"

void guard_scan_result_init(struct guard_scan_result *result, const char *command,
			    const char *target)
{
	memset(result, 0, sizeof(*result));
	result->command = command;
	result->target = target;
	result->worst = GUARD_OK;
}

void guard_scan_result_release(struct guard_scan_result *result)
{
	guard_findings_release(&result->findings);
	guard_string_list_release(&result->problems);
	free(result->problem_codes);
	result->problem_codes = NULL;
}

/* Ranks error classes by the exit code main.c gives them, so that the
 * most serious class decides the exit code of an incomplete scan. */
static int error_rank(enum guard_error_code code)
{
	switch (code) {
	case GUARD_OK: return 0;
	case GUARD_ERR_USAGE: return 1;
	case GUARD_ERR_PARSE:
	case GUARD_ERR_IO:
	case GUARD_ERR_LIMIT: return 2;
	case GUARD_ERR_NOTFOUND:
	case GUARD_ERR_AUTH:
	case GUARD_ERR_NETWORK: return 3;
	case GUARD_ERR_INTERNAL: return 4;
	}
	return 4;
}

int guard_scan_result_problem(struct guard_scan_result *result, const struct guard_error *problem,
			      struct guard_error *err)
{
	enum guard_error_code code = problem->code == GUARD_OK ? GUARD_ERR_IO : problem->code;
	const char *message = problem->message[0] ? problem->message : "unknown read error";
	enum guard_error_code *codes;
	size_t n = result->problems.count;

	codes = realloc(result->problem_codes, (n + 1) * sizeof(*codes));
	if (!codes)
		return guard_error_oom(err);
	result->problem_codes = codes;
	if (guard_string_list_add(&result->problems, message, err) < 0)
		return -1;
	codes[n] = code;

	if (error_rank(code) > error_rank(result->worst))
		result->worst = code;
	guard_log_error("%s", message);
	return 0;
}

int guard_scan_result_collect(const struct guard_finding *finding, void *ctx,
			      struct guard_error *err)
{
	struct guard_scan_result *result = ctx;

	return guard_findings_add(&result->findings, finding, err);
}

static int apply_baseline(struct guard_scan_result *result, const char *path,
			  struct guard_error *err)
{
	struct guard_baseline baseline;
	size_t i = 0;

	guard_baseline_init(&baseline);
	if (guard_baseline_load(&baseline, path, err) < 0)
		return -1;

	while (i < result->findings.count) {
		if (guard_baseline_contains(&baseline, result->findings.items[i].fingerprint)) {
			guard_findings_remove(&result->findings, i);
			result->stats.findings_baselined++;
			continue;
		}
		i++;
	}
	guard_log_debug("baseline '%s': %zu fingerprints", path, baseline.count);
	guard_baseline_release(&baseline);
	return 0;
}

static enum guard_format chosen_format(const struct guard_options *opts,
				       const struct guard_config *config)
{
	if (opts && opts->format_set)
		return opts->format;
	if (config && config->format_set)
		return config->format;
	return opts ? opts->format : GUARD_FORMAT_TEXT;
}

static int write_stdout(const struct guard_buf *report, struct guard_error *err)
{
	if (report->len > 0 && fwrite(report->data, 1, report->len, stdout) != report->len)
		return guard_error_set(err, GUARD_ERR_IO, "cannot write the report to stdout: %s",
				       strerror(errno));
	if (fflush(stdout) != 0)
		return guard_error_set(err, GUARD_ERR_IO, "cannot write the report to stdout: %s",
				       strerror(errno));
	return 0;
}

static int write_report(const struct guard_scan_result *result, enum guard_format format,
			const char *output, struct guard_error *err)
{
	struct guard_buf report = GUARD_BUF_INIT(GUARD_REPORT_MAX_BYTES);
	bool to_stdout = !output || strcmp(output, "-") == 0;
	int rc;

	switch (format) {
	case GUARD_FORMAT_JSON:
		rc = guard_report_write_json(result, &report, err);
		break;
	case GUARD_FORMAT_SARIF:
		rc = guard_report_write_sarif(result, &report, err);
		break;
	case GUARD_FORMAT_TEXT:
	default:
		rc = guard_report_write_text(result, to_stdout && guard_log_color_stdout(),
					     &report, err);
		break;
	}

	if (rc == 0 && to_stdout)
		rc = write_stdout(&report, err);
	else if (rc == 0 && guard_write_output(output, report.data ? report.data : "",
					       report.len, err) < 0)
		rc = guard_error_prefix(err, "cannot write the report");
	guard_buf_release(&report);
	return rc;
}

void guard_format_bytes(uint64_t bytes, char *out, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double value = (double)bytes;
	size_t unit = 0;

	if (bytes < 1024) {
		snprintf(out, size, "%" PRIu64 " bytes", bytes);
		return;
	}
	value /= 1024;
	while (value >= 1024 && unit + 1 < GUARD_ARRAY_SIZE(units)) {
		value /= 1024;
		unit++;
	}
	snprintf(out, size, "%.1f %s", value, units[unit]);
}

static void print_summary(const struct guard_scan_result *result)
{
	const struct guard_scan_stats *s = &result->stats;
	char bytes[32];

	guard_log_progress_done();
	if (guard_log_level() < GUARD_LOG_NORMAL)
		return;
	/* A clean push gets one line, because git shows it on every push. */
	if (result->compact_summary && result->summary && result->findings.count == 0 &&
	    result->problems.count == 0) {
		fprintf(stderr, "guard: %s; no secrets found\n", result->summary);
		return;
	}

	guard_format_bytes(s->bytes_scanned, bytes, sizeof(bytes));
	fprintf(stderr,
		"guard: scanned %" PRIu64 " %s (%s); skipped %" PRIu64 " binary, %" PRIu64
		" too large, %" PRIu64 " unreadable, %" PRIu64 " ignored; %" PRIu64
		" allowed, %" PRIu64 " baselined; %zu %s\n",
		s->files_scanned, s->files_scanned == 1 ? "file" : "files", bytes, s->files_binary,
		s->files_too_large, s->files_unreadable, s->files_ignored, s->findings_allowed,
		s->findings_baselined, result->findings.count,
		result->findings.count == 1 ? "finding" : "findings");
	if (result->summary && result->summary[0])
		fprintf(stderr, "guard: %s\n", result->summary);
}

int guard_report_finish(struct guard_scan_result *result, const struct guard_options *opts,
			const struct guard_config *config, const char *write_baseline,
			struct guard_error *err)
{
	const char *baseline = opts && opts->baseline ? opts->baseline
			       : config ? config->baseline : NULL;
	size_t problems = result->problems.count;

	/* The baseline file gets every current finding, including those an
	 * older baseline already covers, so that rewriting it drops nothing. */
	if (write_baseline && guard_baseline_write(write_baseline, &result->findings, err) < 0)
		return -1;
	if (baseline && apply_baseline(result, baseline, err) < 0)
		return -1;

	guard_findings_sort(&result->findings);
	if (write_report(result, chosen_format(opts, config), opts ? opts->output : NULL, err) < 0)
		return -1;
	print_summary(result);

	if (problems > 0 || result->worst != GUARD_OK) {
		enum guard_error_code code = result->worst != GUARD_OK ? result->worst : GUARD_ERR_IO;

		/* Each problem was printed when it was recorded, so this message
		 * only reports that the result is incomplete. */
		if (problems == 0)
			return guard_error_set(err, code, "scan incomplete: some input could not be read");
		return guard_error_set(err, code,
				       "scan incomplete: %zu %s could not be read in full (listed above)",
				       problems, problems == 1 ? "item" : "items");
	}

	/* A source that only counted unreadable files still must not pass. */
	if (result->stats.files_unreadable > 0)
		return guard_error_set(err, GUARD_ERR_IO,
				       "scan incomplete: %" PRIu64 " %s could not be read",
				       result->stats.files_unreadable,
				       result->stats.files_unreadable == 1 ? "file" : "files");
	return result->findings.count > 0 ? GUARD_RESULT_FINDINGS : GUARD_RESULT_CLEAN;
}

size_t guard_report_utf8_decode(const unsigned char *s, size_t len, unsigned long *cp)
{
	unsigned long value, min;
	size_t n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, value = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, value = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, value = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		value = (value << 6) | (s[i] & 0x3f);
	}
	if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
		return 0;
	*cp = value;
	return n;
}

static bool is_name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* Returns the length of "NAME=" at s when s starts a K=V word, else 0. */
static size_t assignment_prefix(const char *s)
{
	size_t i = 0;

	if (!is_name_char(s[0], true))
		return 0;
	while (is_name_char(s[i], false) || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == '=' ? i + 1 : 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips a value up to the next blank, or a quoted one to its closing quote. */
static const char *skip_value(const char *p)
{
	char quote = (*p == '"' || *p == '\'') ? *p : 0;

	if (quote) {
		const char *end = strchr(p + 1, quote);

		return end ? end + 1 : p + strlen(p);
	}
	while (*p && !is_blank(*p))
		p++;
	return p;
}

/* Shortest word of a build step that may be a secret when it contains a
 * digit or a capital letter. Tokens, keys and passwords almost always do,
 * while commands, flags and most paths do not. */
#define STEP_WORD_SUSPECT_LENGTH 8

/* Returns the length of the word at p (up to the next blank), and whether
 * it looks like it may contain a secret. */
static size_t step_word(const char *p, bool *suspect)
{
	bool mixed = false;
	size_t n = 0;

	while (p[n] && !is_blank(p[n])) {
		if ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'A' && p[n] <= 'Z'))
			mixed = true;
		n++;
	}
	*suspect = mixed && n >= STEP_WORD_SUSPECT_LENGTH;
	return n;
}

static int redact_words(const char *step, size_t max, struct guard_buf *out,
			struct guard_error *err)
{
	size_t start = out->len;
	const char *p = step;

	while (*p) {
		bool word_start = p == step || is_blank(p[-1]);
		size_t name = word_start ? assignment_prefix(p) : 0;
		bool suspect = false;
		size_t word;

		if (out->len - start >= max && ((unsigned char)*p & 0xc0) != 0x80)
			return guard_buf_puts(out, "\xe2\x80\xa6", err);
		if (name > 0 && p[name] && !is_blank(p[name])) {
			if (guard_buf_append(out, p, name, err) < 0 ||
			    guard_buf_puts(out, "\xe2\x80\xa6", err) < 0)
				return -1;
			p = skip_value(p + name);
			continue;
		}
		word = word_start ? step_word(p, &suspect) : 0;
		if (suspect) {
			if (guard_buf_puts(out, "\xe2\x80\xa6", err) < 0)
				return -1;
			p += word;
			continue;
		}
		if (guard_buf_putc(out, *p, err) < 0)
			return -1;
		p++;
	}
	return 0;
}

/* Returns the byte offset of the 1-based line in text, or -1. */
static long line_offset(const char *text, unsigned line)
{
	const char *p = text;

	while (line > 1) {
		p = strchr(p, '\n');
		if (!p)
			return -1;
		p++;
		line--;
	}
	return p - text;
}

int guard_report_redact_step(const struct guard_location *loc, size_t max, struct guard_buf *out,
			     struct guard_error *err)
{
	char *masked;
	long line_start;
	size_t len, start, end;
	int rc;

	if (!guard_report_step_contains_secret(loc) || loc->line == 0 || loc->column == 0 ||
	    loc->end_column <= loc->column)
		return redact_words(loc->step, max, out, err);

	/* The finding was made in the step: its columns mark the secret. */
	line_start = line_offset(loc->step, loc->line);
	len = strlen(loc->step);
	if (line_start < 0)
		return redact_words(loc->step, max, out, err);
	start = (size_t)line_start + loc->column - 1;
	end = (size_t)line_start + loc->end_column - 1;
	if (start > len)
		start = len;
	if (end > len)
		end = len;

	masked = malloc(len + 4);
	if (!masked)
		return guard_error_oom(err);
	memcpy(masked, loc->step, start);
	memcpy(masked + start, "\xe2\x80\xa6", 3);
	memcpy(masked + start + 3, loc->step + end, len - end + 1);
	rc = redact_words(masked, max, out, err);
	guard_wipe(masked, len + 4);
	free(masked);
	return rc;
}

int guard_report_redact_text(const char *text, size_t max, struct guard_buf *out,
			     struct guard_error *err)
{
	return redact_words(text, max, out, err);
}

bool guard_report_step_contains_secret(const struct guard_location *loc)
{
	return loc->origin && strcmp(loc->origin, "history") == 0;
}
