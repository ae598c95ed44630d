#include "cli.h"

/* Placeholder until the subcommand lands; it fails loudly instead of
 * reporting a clean result. */
int guard_cmd_pin(int argc, char **argv, struct guard_error *err)
{
	(void)argc;
	(void)argv;
	return guard_error_set(err, GUARD_ERR_INTERNAL, "'guard pin' is not built yet");
}
