/* Small helpers shared by every module: checked numbers, whole-file reads
 * with a cap, atomic file replacement, paths and clocks. */
#ifndef GUARD_UTIL_H
#define GUARD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define GUARD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a decimal integer in [min, max]; the whole string must be digits.
 * what names the value in the error message. */
int guard_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out,
		    const char *what, struct guard_error *err);

/* Parses a size such as "512", "64K", "10M" or "2G" (powers of 1024). */
int guard_parse_size(const char *text, uint64_t *out, const char *what,
		     struct guard_error *err);

/* Reads a whole file into a NUL-terminated buffer that the caller frees.
 * Files larger than max fail with GUARD_ERR_LIMIT. */
int guard_read_file(const char *path, size_t max, char **data, size_t *len,
		    struct guard_error *err);

/* Replaces path with data atomically: a temporary file in the same folder,
 * written, given the old file's mode (0644 minus umask for a new file),
 * fsync'ed, renamed over path, then the folder fsync'ed. On failure the
 * temporary file is removed and path is untouched. A symbolic link is
 * followed and its target replaced; a path that is not a regular file (a
 * device, a folder) is an error. */
int guard_write_atomic(const char *path, const void *data, size_t len,
		       struct guard_error *err);

/* Writes a report or baseline to path. A regular file (or a new one) is
 * replaced atomically with guard_write_atomic. A device, FIFO or socket,
 * such as /dev/null or /dev/stdout, is opened and written, never replaced. */
int guard_write_output(const char *path, const void *data, size_t len,
		       struct guard_error *err);

/* Checks that guard_write_output can write path now, without changing it:
 * a temporary file is created and removed in the folder that would receive
 * it (the target's folder for a symbolic link), or a device, FIFO or
 * socket must be writable. Lets a command fail before it changes other
 * files. */
int guard_check_output(const char *path, struct guard_error *err);

/* Returns a newly allocated "dir/name" (or name alone when dir is empty or
 * "."), or NULL on OOM. */
char *guard_path_join(const char *dir, const char *name);

/* Returns the last component of path (borrowed from path). */
const char *guard_path_base(const char *path);

bool guard_has_prefix(const char *s, const char *prefix);
bool guard_has_suffix(const char *s, const char *suffix);
bool guard_has_prefix_ci(const char *s, const char *prefix);

/* strdup that records OOM in err. */
char *guard_strdup(const char *s, struct guard_error *err);
char *guard_strndup(const char *s, size_t n, struct guard_error *err);

/* Milliseconds from a monotonic clock. */
uint64_t guard_now_ms(void);

/* Wipes memory that held a credential; the compiler may not drop it. */
void guard_wipe(void *p, size_t n);

#endif
