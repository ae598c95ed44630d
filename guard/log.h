/* The diagnostics sink: every message guard writes to stderr goes through
 * here, shaped "guard: <what failed> '<subject>': <cause>". Results go to
 * stdout and never through this module. */
#ifndef GUARD_LOG_H
#define GUARD_LOG_H

#include <stdbool.h>

#include "error.h"

enum guard_log_level {
	GUARD_LOG_QUIET = 0,	/* -q: errors only */
	GUARD_LOG_NORMAL,	/* errors, warnings and hints */
	GUARD_LOG_VERBOSE,	/* -v: also progress notes */
	GUARD_LOG_DEBUG,	/* -vv: also protocol details (never secrets) */
};

void guard_log_set_level(enum guard_log_level level);
enum guard_log_level guard_log_level(void);

void guard_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guard_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guard_log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guard_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guard_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints err as "guard: <message>" unless its message is empty. */
void guard_log_report(const struct guard_error *err);

/* Prints a warning once per key for the life of the process; later calls
 * with the same key are counted and dropped. */
void guard_log_warn_once(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Draws a one-line progress indicator on stderr, replacing the previous one.
 * Does nothing unless stderr is a terminal and the level is not quiet. */
void guard_log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Erases the progress line, if one is shown. */
void guard_log_progress_done(void);

/* True when stdout is a terminal and NO_COLOR is unset. */
bool guard_log_color_stdout(void);

#endif
