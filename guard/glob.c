/* Path globs with '**', for scan.skip_paths. */
#include <fnmatch.h>
#include <string.h>

#include "glob.h"

/* Matches one [...] class at *g against c; advances *g past it. An
 * unterminated class is taken as a literal '['. */
static bool match_class(const char **g, char c)
{
	const char *end = *g + 1;
	char pattern[128];
	char subject[2] = { c, '\0' };
	size_t n;

	if (*end == '!' || *end == '^')
		end++;
	if (*end == ']')
		end++;
	while (*end && *end != ']')
		end++;
	if (*end != ']') {
		(*g)++;
		return c == '[';
	}
	n = (size_t)(end - *g + 1);
	*g = end + 1;
	if (n >= sizeof(pattern))
		return false;
	memcpy(pattern, end - n + 1, n);
	pattern[n] = '\0';
	return c != '/' && fnmatch(pattern, subject, 0) == 0;
}

static bool match_here(const char *g, const char *s, const char *s_end)
{
	while (*g) {
		if (g[0] == '*' && g[1] == '*') {
			while (*g == '*')
				g++;
			/* Two stars and a slash also match no folder at all, so the
			 * glob for "a, any folders, b" matches the path "a/b". */
			if (*g == '/' && match_here(g + 1, s, s_end))
				return true;
			for (const char *p = s; p <= s_end; p++) {
				if (match_here(g, p, s_end))
					return true;
			}
			return false;
		}
		if (*g == '*') {
			g++;
			for (const char *p = s; p <= s_end; p++) {
				if (match_here(g, p, s_end))
					return true;
				if (p < s_end && *p == '/')
					return false;
			}
			return false;
		}
		if (s == s_end)
			return false;
		if (*g == '?') {
			if (*s == '/')
				return false;
			g++;
		} else if (*g == '[') {
			if (!match_class(&g, *s))
				return false;
		} else {
			if (*g == '\\' && g[1])
				g++;
			if (*g != *s)
				return false;
			g++;
		}
		s++;
	}
	return s == s_end;
}

bool guard_glob_match(const char *glob, const char *path)
{
	return match_here(glob, path, path + strlen(path));
}

bool guard_glob_match_path(const char *glob, const char *path)
{
	char pattern[1024];
	size_t glen = strlen(glob);
	bool anywhere;
	const char *end = path + strlen(path);

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (glen > 1 && glob[glen - 1] == '/')
		glen--;
	if (glen == 0 || glen >= sizeof(pattern))
		return false;
	memcpy(pattern, glob, glen);
	pattern[glen] = '\0';

	/* "/build" is anchored at the root, like .gitignore. */
	anywhere = memchr(pattern, '/', glen) == NULL;
	glob = pattern[0] == '/' ? pattern + 1 : pattern;

	for (const char *start = path; start; ) {
		/* Each folder on the way down, then the whole path. */
		for (const char *stop = start; stop <= end; stop++) {
			if ((stop == end || *stop == '/') && match_here(glob, start, stop))
				return true;
		}
		if (!anywhere)
			break;
		start = strchr(start, '/');
		if (start)
			start++;
	}
	return false;
}
