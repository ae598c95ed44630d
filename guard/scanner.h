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

/* Adds the counters of part to sum (workers keep their own and merge). */
void guard_scan_stats_add(struct guard_scan_stats *sum, const struct guard_scan_stats *part);

/* Called for each finding; the finding is borrowed for the call. A negative
 * return stops the scan with that error. */
typedef int (*guard_finding_fn)(const struct guard_finding *finding, void *ctx,
				struct guard_error *err);

/* Bytes of one file scanned when scan.max_file_size is not set. A larger
 * file is counted in files_too_large, and only its first bytes are scanned. */
#define GUARD_SCAN_DEFAULT_MAX_FILE_SIZE (10u * 1024 * 1024)

/* Compiles the built-in rules, minus those the configuration disables.
 * config may be NULL (no allow rules, default limits). */
int guard_scanner_new(struct guard_scanner **out, const struct guard_scan_config *config,
		      struct guard_error *err);
void guard_scanner_free(struct guard_scanner *scanner);

/* Scans one file's content. loc gives the source (path, commit, layer...);
 * each finding copies it and adds line and column. Handles CRLF, UTF-16,
 * encoded values and binary detection. The data is only read. Safe to call
 * from several threads at once on the same scanner. Findings reach fn in
 * the order of their position in the file. When len exceeds the scanner's
 * max file size, only the first max bytes are scanned and the file is
 * counted in files_too_large. */
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

/* Returns the bytes of one file that the scanner reads (scan.max-file-size
 * or the default). Sources that read files in pieces need read no more than
 * this plus one byte, so that the engine still detects a larger file. */
uint64_t guard_scanner_max_file_size(const struct guard_scanner *scanner);

/* True when path matches one of the scan.skip_paths globs. '*' and '?' do
 * not cross '/', '**' does, and a glob without '/' matches any file or
 * folder name at any depth (so "node_modules" skips everything below it).
 * Sources apply it; the engine itself scans what it is given. */
bool guard_scanner_path_skipped(const struct guard_scanner *scanner, const char *path);

#endif
