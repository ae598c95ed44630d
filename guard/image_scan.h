/* Turns the pieces of an image (see source_image.h) into findings. Config
 * Env and Labels, history steps, provenance build arguments and layer files
 * go through the secret engine. Secret-looking ENV and ARG names with
 * literal values get their own rules. Findings in files that a later layer
 * deletes are marked removed. */
#ifndef GUARD_IMAGE_SCAN_H
#define GUARD_IMAGE_SCAN_H

#include "report.h"
#include "scanner.h"
#include "source_image.h"

#define GUARD_RULE_IMAGE_ENV_SECRET "image-env-secret"
#define GUARD_RULE_IMAGE_BUILD_ARG_SECRET "image-build-arg-secret"

/* Scans the image named by image with scanner into result. Returns 0 when
 * the image was read (problems are in result), -1 with err when it could
 * not be opened or read at all. */
int guard_image_scan(const char *image, const struct guard_image_options *opts,
		     struct guard_scanner *scanner, struct guard_scan_result *result,
		     struct guard_error *err);

#endif
