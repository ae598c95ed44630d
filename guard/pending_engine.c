/* TODO: remove this file once the detection engine and the report module
 * are merged. Until then these weak definitions let the git source build
 * and link; every one fails loudly, so no scan can pass as clean. */
#include <string.h>

#include "report.h"
#include "scanner.h"

#define PENDING __attribute__((weak))

static int pending(struct guard_error *err)
{
	return guard_error_set(err, GUARD_ERR_INTERNAL, "the detection engine is not built yet");
}

PENDING int guard_scanner_new(struct guard_scanner **out, const struct guard_scan_config *config,
			      struct guard_error *err)
{
	(void)out;
	(void)config;
	return pending(err);
}

PENDING void guard_scanner_free(struct guard_scanner *scanner)
{
	(void)scanner;
}

PENDING int guard_scanner_scan(struct guard_scanner *scanner, const struct guard_location *loc,
			       const void *data, size_t len, struct guard_scan_stats *stats,
			       guard_finding_fn fn, void *ctx, struct guard_error *err)
{
	(void)scanner, (void)loc, (void)data, (void)len, (void)stats, (void)fn, (void)ctx;
	return pending(err);
}

PENDING int guard_scanner_check_name(struct guard_scanner *scanner, const struct guard_location *loc,
				     const void *data, size_t len, guard_finding_fn fn, void *ctx,
				     struct guard_error *err)
{
	(void)scanner, (void)loc, (void)data, (void)len, (void)fn, (void)ctx;
	return pending(err);
}

PENDING void guard_scan_result_init(struct guard_scan_result *result, const char *command,
				    const char *target)
{
	(void)command;
	(void)target;
	memset(result, 0, sizeof(*result));
}

PENDING void guard_scan_result_release(struct guard_scan_result *result)
{
	(void)result;
}

PENDING int guard_scan_result_problem(struct guard_scan_result *result,
				      const struct guard_error *problem, struct guard_error *err)
{
	(void)result;
	(void)problem;
	return pending(err);
}

PENDING int guard_scan_result_collect(const struct guard_finding *finding, void *ctx,
				      struct guard_error *err)
{
	(void)finding;
	(void)ctx;
	return pending(err);
}

PENDING int guard_report_finish(struct guard_scan_result *result, const struct guard_options *opts,
				const struct guard_config *config, const char *write_baseline,
				struct guard_error *err)
{
	(void)result, (void)opts, (void)config, (void)write_baseline;
	return pending(err);
}

PENDING int guard_findings_add(struct guard_findings *list, const struct guard_finding *src,
			       struct guard_error *err)
{
	(void)list;
	(void)src;
	return pending(err);
}

PENDING void guard_findings_release(struct guard_findings *list)
{
	(void)list;
}

PENDING int guard_finding_fingerprint(struct guard_finding *f, struct guard_error *err)
{
	(void)f;
	return pending(err);
}
