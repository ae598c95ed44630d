/* The secret detection engine: bytes and a source description in, findings
 * out. All rules are compiled once into one Vectorscan database; PCRE2
 * extracts each rule's capture group near a hit. Sources (context, git,
 * image) only feed bytes and names; they never look at rule internals. */
#ifndef GUARD_SCANNER_H
#define GUARD_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "finding.h"

struct guard_scanner;		/* compiled rules, shareable across threads */
struct guard_scan_config;	/* allow rules from .guard.yaml, see config.h */

/* Counters a source adds to the summary. Anything skipped or unreadable is
 * counted so that a scan is never silently "clean". */
struct guard_scan_stats {
	uint64_t files_scanned;
	uint64_t bytes_scanned;
	uint64_t files_binary;		/* skipped: binary content */
	uint64_t files_too_large;	/* skipped or cut at the per-file cap */
	uint64_t files_unreadable;	/* read errors */
	uint64_t files_ignored;		/* excluded by configuration */
	uint64_t findings_allowed;	/* suppressed by guard:allow or config */
	uint64_t findings_baselined;	/* suppressed by the baseline */
};

/* Called for each finding; the finding is borrowed for the call. A negative
 * return stops the scan with that error. */
typedef int (*guard_finding_fn)(const struct guard_finding *finding, void *ctx,
				struct guard_error *err);

/* Compiles the built-in rules, minus those the configuration disables. */
int guard_scanner_new(struct guard_scanner **out, const struct guard_scan_config *config,
		      struct guard_error *err);
void guard_scanner_free(struct guard_scanner *scanner);

/* Scans one file's content. loc gives the source (path, commit, layer...);
 * each finding copies it and adds line and column. Handles CRLF, UTF-16,
 * encoded values and binary detection. The data is only read. */
int guard_scanner_scan(struct guard_scanner *scanner, const struct guard_location *loc,
		       const void *data, size_t len, struct guard_scan_stats *stats,
		       guard_finding_fn fn, void *ctx, struct guard_error *err);

/* Reports a finding when the path alone marks a secret file (id_rsa, .env,
 * .npmrc, ...). data may be NULL; when given, content-dependent names such
 * as *.pem are checked against it. */
int guard_scanner_check_name(struct guard_scanner *scanner, const struct guard_location *loc,
			     const void *data, size_t len,
			     guard_finding_fn fn, void *ctx, struct guard_error *err);

/* True when the file name marks a key store whose binary content is still
 * scanned (and reported by name). */
bool guard_scanner_name_is_keystore(const char *path);

#endif
