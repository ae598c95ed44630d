/* Streams one layer tar (gzip, zstd or plain, detected from its first
 * bytes) entry by entry, and tracks which files later layers delete
 * (whiteouts, opaque folders) or replace. Nothing is written to disk. */
#ifndef GUARD_IMAGE_LAYER_H
#define GUARD_IMAGE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "image_store.h"

struct guard_layer_limits {
	uint64_t max_bytes;	/* decompressed bytes per layer */
	uint64_t max_entries;	/* entries per layer */
	size_t max_file;	/* bytes of one file passed on */
};

/* One regular file or hard link of a layer, borrowed for the callback. For
 * a file larger than max_file, truncated is set and data contains its first
 * max_file bytes. When the first block of such a file is binary, binary is
 * set, data contains only that block and the rest is skipped. A hard link has
 * link_target and no data. */
struct guard_layer_file {
	const char *path;
	const char *link_target;
	const void *data;
	size_t len;
	uint64_t size;
	bool truncated;
	bool binary;
};

/* Called per file. Setting *watch_id (preset to -1) to a value >= 0
 * requests a guard_removed_fn call when a later layer deletes or replaces
 * the file. */
typedef int (*guard_layer_file_fn)(void *ctx, const struct guard_layer_file *file,
				   int *watch_id, struct guard_error *err);

/* Told that the file watched as watch_id is gone in layer layer_index. */
typedef void (*guard_removed_fn)(void *ctx, int watch_id, int layer_index);

/* Tracks the watched files of one image, layer after layer. */
struct guard_removal_tracker;

int guard_removal_tracker_new(struct guard_removal_tracker **out, guard_removed_fn removed,
			      void *ctx, struct guard_error *err);
void guard_removal_tracker_free(struct guard_removal_tracker *tracker);

/* Reads the layer from reader (including its digest check) and calls fn for
 * each regular file and hard link. layer_index is 1-based. Returns 0 on
 * success. Returns -1 when the layer is corrupt, truncated or over a limit,
 * with err naming the cause, so the caller records a problem for the blob.
 * Returns -2 with fn's error when fn failed. */
int guard_layer_walk(struct guard_blob_reader *reader, int layer_index,
		     const struct guard_layer_limits *limits,
		     struct guard_removal_tracker *tracker, guard_layer_file_fn fn, void *ctx,
		     struct guard_error *err);

#endif
