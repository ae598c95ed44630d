/* The SARIF 2.1.0 report, shaped for GitHub code scanning. */
#include "report.h"

int guard_report_write_sarif(const struct guard_scan_result *result, struct guard_buf *out,
			     struct guard_error *err)
{
	(void)result;
	(void)out;
	return guard_error_set(err, GUARD_ERR_INTERNAL, "SARIF output is not built yet");
}
