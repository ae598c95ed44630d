/* .dockerignore files, read and matched the way BuildKit does
 * (moby/patternmatcher): patterns anchored at the context root, the last
 * matching line decides, "!" lines re-include, and a pattern that matches
 * a folder matches everything below it. */
#ifndef GUARD_IGNORE_H
#define GUARD_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Largest ignore file, and longest pattern line, that guard reads. */
#define GUARD_IGNORE_MAX_BYTES (4u * 1024 * 1024)
#define GUARD_IGNORE_MAX_PATTERN 4096

struct guard_ignore;

/* Parses the text of an ignore file. name is used in error messages. A
 * bare "!" and malformed patterns (an unclosed "[", a trailing "\", an
 * empty or reversed class range) are GUARD_ERR_PARSE errors naming the
 * line. An empty file gives a matcher that excludes nothing. */
int guard_ignore_load_buffer(struct guard_ignore **out, const char *data, size_t len,
			     const char *name, struct guard_error *err);

/* Reads and parses path. */
int guard_ignore_load_file(struct guard_ignore **out, const char *path, struct guard_error *err);

/* Picks the ignore file that a build of context_dir with dockerfile uses:
 * "<dockerfile>.dockerignore" when that file exists (it replaces the root
 * file, no merging), else "<context_dir>/.dockerignore" when it exists.
 * dockerfile is the path as given to "docker build -f", or NULL for
 * "<context_dir>/Dockerfile". *out is an allocated path, or NULL when the
 * build has no ignore file. */
int guard_ignore_find(const char *context_dir, const char *dockerfile, char **out,
		      struct guard_error *err);

/* guard_ignore_find, then guard_ignore_load_file; without an ignore file
 * *out is an empty matcher. *used (optional) gets the file's path or NULL. */
int guard_ignore_load_for_build(struct guard_ignore **out, const char *context_dir,
				const char *dockerfile, char **used, struct guard_error *err);

void guard_ignore_free(struct guard_ignore *ig);

/* True when relpath is excluded from the build context. relpath is
 * relative to the context root and "/"-separated, and a leading "./" or "/"
 * is ignored. is_dir does not change the result, because a trailing "/" in
 * a pattern does not restrict it to folders. */
bool guard_ignore_match(const struct guard_ignore *ig, const char *relpath, bool is_dir);

/* True when a walker that found the folder reldir excluded must still
 * look inside it, because an exception ("!" line) could re-include
 * something below it. May return true when nothing ends up re-included.
 * NOTE: this follows the pattern rules for each path below the folder.
 * buildah 1.28 enters an excluded folder only when an exception's text
 * starts with the folder's path, so for "docs" and an exception with a
 * double star for every .md file below it, buildah leaves out docs/a/b.md,
 * which guard still scans. */
bool guard_ignore_must_descend(const struct guard_ignore *ig, const char *reldir);

/* Number of patterns in effect, and whether any of them is an exception. */
size_t guard_ignore_count(const struct guard_ignore *ig);
bool guard_ignore_has_exceptions(const struct guard_ignore *ig);

#endif
