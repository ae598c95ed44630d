/* Blob stores for images: an OCI layout folder, a tar archive (OCI archive
 * or docker save), or a registry. Every blob is read as a stream
 * and checked against its digest and size as the bytes go by. */
#ifndef GUARD_IMAGE_STORE_H
#define GUARD_IMAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "digest.h"
#include "error.h"

/* A pull reader over one blob. read returns the number of bytes placed in
 * *data (borrowed until the next call), 0 at the end, -1 with err set. */
struct guard_blob_source {
	ssize_t (*read)(void *impl, const void **data, struct guard_error *err);
	void (*close)(void *impl);
	void *impl;
};

struct guard_blob_reader;

/* Opens a blob for reading. key is a digest ("sha256:<hex>") or a path in
 * the layout or archive. Returns 0, or -1 with GUARD_ERR_NOTFOUND when the
 * blob is absent, or another error. */
typedef int (*guard_store_open_fn)(void *impl, const char *key, struct guard_blob_source *out,
				   struct guard_error *err);

/* Reads a manifest or index by digest where the store keeps them apart
 * from blobs (a registry's manifests endpoint). */
typedef int (*guard_store_manifest_fn)(void *impl, const char *digest, size_t max,
				       struct guard_buf *out, struct guard_error *err);

struct guard_image_store {
	guard_store_open_fn open;
	guard_store_manifest_fn read_manifest;	/* NULL: manifests are blobs */
	void (*free)(void *impl);
	void *impl;
	/* Error class for a corrupt blob or a digest mismatch: GUARD_ERR_PARSE
	 * for local files (exit 3), GUARD_ERR_NETWORK for a registry (exit 4). */
	enum guard_error_code corrupt_class;
	bool has_index;		/* archive or folder contains index.json */
	bool has_docker_manifest;	/* archive contains a docker save manifest.json */
};

/* Opens an OCI image layout folder. */
int guard_image_store_open_dir(struct guard_image_store *store, const char *dir,
			       struct guard_error *err);

/* Opens a tar archive (optionally compressed) and indexes its entry names in
 * one pass; blobs are then read by a second pass each. Nothing is written to
 * disk. max_entries caps the archive's entry count. */
int guard_image_store_open_tar(struct guard_image_store *store, const char *path,
			       uint64_t max_entries, struct guard_error *err);

void guard_image_store_release(struct guard_image_store *store);

/* Opens key for reading, checking the bytes against expect_digest (NULL:
 * no check) and expect_size (-1: no check). With skip_compressed, the
 * digest is only checked when the blob is not gzip or zstd (a docker save
 * layer is checked against its diff_id only when stored as a plain tar). */
int guard_blob_reader_open(struct guard_blob_reader **out, struct guard_image_store *store,
			   const char *key, const char *expect_digest, int64_t expect_size,
			   bool skip_compressed, struct guard_error *err);

/* Reads the next bytes; 0 at the end, after the digest and size checks. */
ssize_t guard_blob_reader_read(struct guard_blob_reader *reader, const void **data,
			       struct guard_error *err);

/* Reads and checks the rest of the blob (after a parser stopped early). */
int guard_blob_reader_finish(struct guard_blob_reader *reader, struct guard_error *err);

/* Bytes read so far. */
uint64_t guard_blob_reader_offset(const struct guard_blob_reader *reader);

void guard_blob_reader_free(struct guard_blob_reader *reader);

/* Reads a whole blob of at most max bytes into out (NUL-terminated),
 * verified as above. */
int guard_image_store_read(struct guard_image_store *store, const char *key,
			   const char *expect_digest, int64_t expect_size, size_t max,
			   struct guard_buf *out, struct guard_error *err);

/* The layout path of a digest: "blobs/<alg>/<hex>", caller frees. */
char *guard_blob_path(const char *digest, struct guard_error *err);

#endif
