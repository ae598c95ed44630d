/* Cleaning of tar entry names in image layers and archives. */
#include <stdlib.h>
#include <string.h>

#include "image_path.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *clean;
	int safe;
} cases[] = {
	{ "etc/passwd", "etc/passwd", 1 },
	{ "./etc/passwd", "etc/passwd", 1 },
	{ "/etc/passwd", "etc/passwd", 1 },
	{ "././a//b/./c/", "a/b/c", 1 },
	{ ".", "", 1 },
	{ "./", "", 1 },
	{ "", "", 1 },
	{ "app/.wh..wh..opq", "app/.wh..wh..opq", 1 },
	{ "../escape", "../escape", 0 },
	{ "a/../../b", "a/../../b", 0 },
	{ "a/..b/c", "a/..b/c", 1 },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = strdup(cases[i].name);

		guard_image_path_clean(path);
		TAP_IS_STR(path, cases[i].clean, "clean '%s'", cases[i].name);
		TAP_IS_INT(guard_image_path_is_safe(path), cases[i].safe, "safety of '%s'",
			   cases[i].name);
		free(path);
	}
	return tap_done();
}
