/* docker:// images: a blob store over guard's registry client. Each blob
 * streams from a worker thread through a socket pair, so that libarchive
 * can pull layer bytes while the client pushes them as they arrive. */
#ifndef GUARD_IMAGE_REGISTRY_H
#define GUARD_IMAGE_REGISTRY_H

#include <stdbool.h>

#include "config.h"
#include "image_store.h"
#include "ref.h"

struct guard_registry;

struct guard_image_remote {
	const struct guard_registry_config *config;	/* borrowed */
	struct guard_registry *registry;
	struct guard_ref ref;
	bool has_ref;
};

void guard_image_remote_init(struct guard_image_remote *remote,
			     const struct guard_registry_config *config);
void guard_image_remote_release(struct guard_image_remote *remote);

/* A guard_image_remote_fn (ctx is a struct guard_image_remote): parses the
 * reference, fetches the manifest or index it names and opens a store that
 * reads blobs from the same repository. */
int guard_image_remote_open(void *ctx, const char *reference, struct guard_image_store *store,
			    struct guard_buf *root, char root_digest[GUARD_DIGEST_MAX],
			    struct guard_error *err);

#endif
