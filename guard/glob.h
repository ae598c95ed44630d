/* Path globs for skip lists: '*' and '?' stay within one path component,
 * '**' spans components, and [...] is a character class. */
#ifndef GUARD_GLOB_H
#define GUARD_GLOB_H

#include <stdbool.h>

/* True when the whole path matches the glob. */
bool guard_glob_match(const char *glob, const char *path);

/* True when the glob matches the path or a folder above it; a glob without
 * '/' may also match any trailing part of the path that starts after a '/'
 * ("*.log" matches "a/b/x.log", "vendor" matches "src/vendor/lib.c"). */
bool guard_glob_match_path(const char *glob, const char *path);

#endif
