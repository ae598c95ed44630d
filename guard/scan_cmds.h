/* Entry points of the "guard scan" sources; argv[0] is the source name. */
#ifndef GUARD_SCAN_CMDS_H
#define GUARD_SCAN_CMDS_H

#include "error.h"

int guard_cmd_scan_context(int argc, char **argv, struct guard_error *err);
int guard_cmd_scan_git(int argc, char **argv, struct guard_error *err);
int guard_cmd_scan_image(int argc, char **argv, struct guard_error *err);

#endif
