#include "image_path.h"

#include <string.h>

void guard_image_path_clean(char *path)
{
	char *out = path;
	const char *p = path;

	while (*p) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p = end;
			continue;
		}
		if (out != path)
			*out++ = '/';
		memmove(out, p, len);
		out += len;
		p = end;
	}
	*out = '\0';
}

bool guard_image_path_is_safe(const char *path)
{
	const char *p = path;

	if (path[0] == '/')
		return false;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}
