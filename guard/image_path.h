/* Names of entries in image layers and archives. They are only names:
 * nothing from an image is ever written to disk. */
#ifndef GUARD_IMAGE_PATH_H
#define GUARD_IMAGE_PATH_H

#include <stdbool.h>

/* Cleans a tar entry name in place: drops leading "/" and "./", empty and
 * "." components and a trailing "/". The root becomes "". */
void guard_image_path_clean(char *path);

/* True when the cleaned path has no ".." component. */
bool guard_image_path_is_safe(const char *path);

#endif
