/* A reader of git objects for the history scan. It reads pack files
 * itself (version 2 indexes, offset and reference deltas) with a delta base
 * cache per reader, and hands anything else (loose objects, alternates,
 * packs added after it opened) to libgit2. libgit2 1.5 resolves each delta
 * chain anew and maps whole pack files. This reader resolves a chain once,
 * reads packs through a small window and keeps its memory bounded.
 *
 * A guard_odb is shared by threads and read-only once opened. Each thread
 * needs its own guard_odb_reader. */
#ifndef GUARD_GIT_ODB_H
#define GUARD_GIT_ODB_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A whole object: data is size bytes followed by a NUL. Objects are
 * reference counted but belong to the thread of the reader that made them. */
struct guard_git_object {
	unsigned refs;
	bool verified;		/* checked against its id (see guard_odb_read) */
	git_object_t type;
	size_t size;
	unsigned char data[];
};

struct guard_odb;
struct guard_odb_reader;

/* The cap on the delta bases a read may inflate, unless the caller's cap
 * on the object itself is larger: a base over it makes the read fail with
 * GUARD_ERR_LIMIT. */
#define GUARD_ODB_OBJECT_MAX (1024ull * 1024 * 1024)

/* Opens the pack files of repo's object folder (GIT_OBJECT_DIRECTORY when
 * set). A pack whose index this reader does not know is left to libgit2. */
int guard_odb_open(struct guard_odb **out, git_repository *repo, struct guard_error *err);

/* Opens the pack files of an object folder (the one that contains pack/). */
int guard_odb_open_folder(struct guard_odb **out, const char *objects, struct guard_error *err);
void guard_odb_free(struct guard_odb *odb);

/* The number of pack files the reader reads itself. */
size_t guard_odb_pack_count(const struct guard_odb *odb);

/* Opens the libgit2 object database that serves objects the packs do not
 * have. The reader calls it once, when it first needs it; ctx keeps
 * ownership of *out, which only the reader's thread may use meanwhile. */
typedef int (*guard_odb_fallback_fn)(void *ctx, git_odb **out, struct guard_error *err);

/* A reader for one thread. open_fallback may be NULL (no fallback).
 * cache_bytes bounds the inflated objects kept as delta bases. */
int guard_odb_reader_new(struct guard_odb_reader **out, struct guard_odb *odb,
			 guard_odb_fallback_fn open_fallback, void *fallback_ctx, size_t cache_bytes,
			 struct guard_error *err);
void guard_odb_reader_free(struct guard_odb_reader *reader);

/* Reads object id and checks that it is the object id names: a blob by
 * hashing it as git does, other objects from a pack by the CRC-32 of their
 * packed entry. Returns 0 with *out set. Returns 1 when the object is
 * larger than max_size: *size is then its size and nothing was inflated.
 * Returns -1 with err set: GUARD_ERR_IO for a missing object,
 * GUARD_ERR_PARSE for a malformed pack or an object that does not match
 * its id, GUARD_ERR_LIMIT for a delta base over the larger of max_size and
 * GUARD_ODB_OBJECT_MAX. With keep, the reader caches the result, for
 * objects likely to be read again or to be the base of later deltas. */
int guard_odb_read(struct guard_odb_reader *reader, const git_oid *id, uint64_t max_size,
		   bool keep, struct guard_git_object **out, uint64_t *size,
		   struct guard_error *err);

static inline struct guard_git_object *guard_git_object_ref(struct guard_git_object *obj)
{
	obj->refs++;
	return obj;
}

void guard_git_object_unref(struct guard_git_object *obj);

#endif
