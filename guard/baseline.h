/* Baselines: a JSON file of fingerprints of findings that a team accepted,
 * so that a scan reports only what is new. A guard JSON report is also a
 * valid baseline, because both list findings[].fingerprint, and so is a
 * SARIF log that guard wrote (partialFingerprints["guardFingerprint/v1"]). */
#ifndef GUARD_BASELINE_H
#define GUARD_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "finding.h"

/* Largest baseline file guard reads. */
#define GUARD_BASELINE_MAX_BYTES (64u * 1024 * 1024)

struct guard_baseline {
	char **fingerprints;	/* sorted, unique, owned */
	size_t count;
};

void guard_baseline_init(struct guard_baseline *baseline);
void guard_baseline_release(struct guard_baseline *baseline);

/* Reads path: an object whose "findings" array contains objects with a
 * "fingerprint" string, or a SARIF log. Other members are ignored. A missing file is a
 * GUARD_ERR_IO error, a malformed one GUARD_ERR_PARSE. */
int guard_baseline_load(struct guard_baseline *baseline, const char *path,
			struct guard_error *err);

bool guard_baseline_contains(const struct guard_baseline *baseline, const char *fingerprint);

/* Writes the fingerprints of findings to path atomically, one entry per
 * distinct fingerprint with its rule, path, commit or layer and preview,
 * sorted by fingerprint so that the file diffs well. */
int guard_baseline_write(const char *path, const struct guard_findings *findings,
			 struct guard_error *err);

#endif
