/* Internal to the image source: manifests, indexes, docker save
 * manifest.json, configs and attestations, walked into visitor calls. */
#ifndef GUARD_IMAGE_MANIFEST_H
#define GUARD_IMAGE_MANIFEST_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "source_image.h"

/* State of one guard_image_walk. */
struct image_walk {
	const char *name;
	const struct guard_image_options *opts;
	const struct guard_image_visitor *visitor;
	struct guard_image_store store;
	struct guard_string_list scanned_layers;	/* layers already walked, for shared layers */
	uint64_t platform_seen;		/* bit i: opts->platforms[i] was found */
	unsigned images;		/* platform images walked */
	struct guard_string_list platforms;	/* every platform met, selected or not */
	bool registry;			/* docker:// rather than a local layout or archive */
};

/* Sets the class of a failure by where the image comes from: a local image
 * fails as input (exit 3), never with a registry class, and content that a
 * registry sent and guard could not parse fails as a registry failure (exit 4).
 * Size limits keep their class. */
void guard_manifest_error_class(const struct image_walk *w, struct guard_error *err);

/* Parses JSON text; what names it in errors. */
json_t *guard_manifest_parse_json(const char *text, size_t len, const char *what,
				  struct guard_error *err);

/* Picks the index.json entry named ref (org.opencontainers.image.ref.name),
 * or the only entry when ref is NULL. Borrowed from index. */
json_t *guard_manifest_select_ref(json_t *index, const char *ref, const char *image,
				  struct guard_error *err);

/* Reads the blob a descriptor points to and walks it. */
int guard_manifest_walk_descriptor(struct image_walk *w, json_t *descriptor,
				   const char *platform, int depth, struct guard_error *err);

/* Walks a manifest or index given as bytes. */
int guard_manifest_walk_bytes(struct image_walk *w, const char *text, size_t len,
			      const char *digest, const char *platform, int depth,
			      struct guard_error *err);

/* Walks a docker save archive through its manifest.json (both the legacy
 * layout and the Docker 25+ one whose paths point into blobs/). */
int guard_manifest_walk_docker_save(struct image_walk *w, const char *ref,
				    struct guard_error *err);

#endif
