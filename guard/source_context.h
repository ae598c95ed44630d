/* The build context source: the files `docker build DIR` would send, and
 * the Dockerfile's own leaks (ENV and ARG values, COPY of secret files). */
#ifndef GUARD_SOURCE_CONTEXT_H
#define GUARD_SOURCE_CONTEXT_H

#include <stdbool.h>

#include "config.h"
#include "error.h"
#include "report.h"
#include "scanner.h"

struct guard_context_options {
	const char *dir;		/* the context folder */
	const char *dockerfile;		/* path of the Dockerfile, NULL for DIR/Dockerfile */
	bool all_files;			/* ignore .dockerignore */
	const struct guard_config *config;
};

/* Scans the context and the Dockerfile into result. Files that cannot be
 * read are recorded as problems in result, so the scan is never "clean".
 * Returns -1 only when the scan cannot start (no such folder, a malformed
 * .dockerignore). */
int guard_context_scan(struct guard_scanner *scanner, const struct guard_context_options *opts,
		       struct guard_scan_result *result, struct guard_error *err);

#endif
