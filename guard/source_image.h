/* Reads an image named as skopeo names it (docker://, docker-archive:, oci:,
 * oci-archive:) and hands every scannable piece to a visitor. The pieces are
 * config Env and Labels, history steps, build arguments recorded in
 * provenance attestations, and every file of every layer, with whiteouts
 * tracked. */
#ifndef GUARD_SOURCE_IMAGE_H
#define GUARD_SOURCE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "image_store.h"
#include "scanner.h"

enum guard_image_entry_kind {
	GUARD_IMAGE_CONFIG,	/* start of one platform's image: config, platform */
	GUARD_IMAGE_ENV,	/* name, value */
	GUARD_IMAGE_LABEL,	/* name, value */
	GUARD_IMAGE_HISTORY,	/* value = created_by, history_index, layer_index */
	GUARD_IMAGE_BUILD_ARG,	/* name, value, from a provenance attestation (blob) */
	GUARD_IMAGE_LAYER,	/* start of a layer: layer, blob, layer_index, step */
	GUARD_IMAGE_FILE,	/* path, data, len, size, truncated, binary */
	GUARD_IMAGE_HARDLINK,	/* path, link_target */
};

/* One piece of an image, borrowed for the callback. Layer fields are set
 * for LAYER, FILE and HARDLINK. */
struct guard_image_entry {
	enum guard_image_entry_kind kind;
	const char *image;		/* as the user named it */
	const char *platform;		/* "os/arch[/variant]" */
	const char *config;		/* config digest */

	const char *layer;		/* diff_id when the config has it, else the blob digest */
	const char *blob;		/* digest or archive path of the layer or attestation */
	int layer_index;		/* 1-based; 0 outside layers */
	const char *step;		/* created_by of the history entry that made the layer */

	const char *path;
	const char *link_target;
	const void *data;
	size_t len;
	uint64_t size;
	bool truncated;
	bool binary;

	const char *name;
	const char *value;
	int history_index;		/* 0-based */
	bool empty_layer;
};

struct guard_image_visitor {
	void *ctx;
	/* Called per entry. For FILE and HARDLINK, set *watch_id (preset to -1)
	 * to a value >= 0 to get a removed call when a later layer deletes or
	 * replaces the path. A negative return stops the walk. */
	int (*entry)(void *ctx, const struct guard_image_entry *entry, int *watch_id,
		     struct guard_error *err);
	/* The file watched as watch_id is gone from the final file system since
	 * layer layer_index. */
	void (*removed)(void *ctx, int watch_id, int layer_index);
	/* Something could not be read (a corrupt layer, a limit): recorded so
	 * the scan is not clean; the walk goes on. */
	int (*problem)(void *ctx, const struct guard_error *problem, struct guard_error *err);
};

/* Opens a docker:// image's registry store; set by the command so that
 * the walker does not depend on the registry client. On success, *store
 * reads blobs by digest and root holds the manifest or index the
 * reference points to. */
typedef int (*guard_image_remote_fn)(void *ctx, const char *reference,
				     struct guard_image_store *store, struct guard_buf *root,
				     char root_digest[GUARD_DIGEST_MAX], struct guard_error *err);

struct guard_image_options {
	const char *const *platforms;	/* "os/arch[/variant]"; none = every platform */
	size_t platform_count;
	uint64_t max_layer_bytes;	/* decompressed bytes per layer */
	uint64_t max_entries;		/* entries per layer and per archive */
	size_t max_file_bytes;		/* bytes of one file passed on */
	size_t max_json_bytes;		/* manifests, indexes, configs */
	guard_image_remote_fn remote;	/* NULL: docker:// is rejected */
	void *remote_ctx;
};

#define GUARD_IMAGE_DEFAULT_MAX_LAYER_BYTES (8ULL << 30)
#define GUARD_IMAGE_DEFAULT_MAX_ENTRIES 1000000ULL
#define GUARD_IMAGE_DEFAULT_MAX_FILE_BYTES ((size_t)GUARD_SCAN_DEFAULT_MAX_FILE_SIZE)
#define GUARD_IMAGE_DEFAULT_MAX_JSON_BYTES ((size_t)4 << 20)

void guard_image_options_init(struct guard_image_options *opts);

/* Walks the image named by name. Returns 0 when the image was walked (with
 * problems reported through the visitor), -1 when it could not be opened or
 * its manifest, index or config is unusable. */
int guard_image_walk(const char *name, const struct guard_image_options *opts,
		     const struct guard_image_visitor *visitor, struct guard_error *err);

#endif
