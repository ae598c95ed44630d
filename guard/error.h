/* The error record every fallible guard function fills in. */
#ifndef GUARD_ERROR_H
#define GUARD_ERROR_H

#include <stddef.h>

/* Failure classes that callers handle differently. main.c maps each class to
 * an exit code; nothing else decides exit codes. */
enum guard_error_code {
	GUARD_OK = 0,
	GUARD_ERR_USAGE,	/* bad command line */
	GUARD_ERR_PARSE,	/* input that could not be parsed or read */
	GUARD_ERR_IO,		/* a local file could not be read or written */
	GUARD_ERR_LIMIT,	/* an input exceeded a size cap */
	GUARD_ERR_NOTFOUND,	/* a registry has no such tag, digest or repository */
	GUARD_ERR_AUTH,		/* a registry rejected the credentials */
	GUARD_ERR_NETWORK,	/* unreachable, timed out, TLS failure, bad answer */
	GUARD_ERR_INTERNAL,	/* out of memory, a library failed, a bug */
};

#define GUARD_ERROR_MAX 1024

/* A fixed buffer, so reporting an error never allocates. An empty message
 * with a non-zero code means the failure was already reported. */
struct guard_error {
	enum guard_error_code code;
	char message[GUARD_ERROR_MAX];
};

#define GUARD_ERROR_INIT { GUARD_OK, "" }

/* Sets the code and a printf-style message. Returns -1 so that callers can
 * write `return guard_error_set(err, ...);`. err may be NULL. */
int guard_error_set(struct guard_error *err, enum guard_error_code code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to the message, keeping the code. Returns -1. */
int guard_error_prefix(struct guard_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets GUARD_ERR_INTERNAL with "out of memory". Returns -1. */
int guard_error_oom(struct guard_error *err);

/* Copies src into dst (both may be NULL). */
void guard_error_copy(struct guard_error *dst, const struct guard_error *src);

void guard_error_clear(struct guard_error *err);

/* Returns a short lowercase name of the class, for JSON output. */
const char *guard_error_code_name(enum guard_error_code code);

#endif
