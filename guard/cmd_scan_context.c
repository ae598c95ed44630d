#include "cli.h"
#include "scan_cmds.h"

/* Placeholder until the source lands; it fails loudly instead of reporting
 * a clean result. */
int guard_cmd_scan_context(int argc, char **argv, struct guard_error *err)
{
	(void)argc;
	(void)argv;
	return guard_error_set(err, GUARD_ERR_INTERNAL, "'guard scan context' is not built yet");
}
