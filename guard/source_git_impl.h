/* Internals shared by source_git.c (selection and walk) and
 * source_git_scan.c (blob scanning and reporting). Not an interface. */
#ifndef GUARD_SOURCE_GIT_IMPL_H
#define GUARD_SOURCE_GIT_IMPL_H

#include <git2.h>
#include <stdbool.h>
#include <stdint.h>

#include "finding.h"
#include "git_odb.h"
#include "source_git.h"

#define WALK_NONE UINT32_MAX

/* Open-addressing table of uint32_t indices into an array that the caller
 * owns; hashing and comparison go through the callbacks. */
struct walk_map {
	uint32_t *slots;	/* WALK_NONE = empty */
	size_t cap;		/* a power of two */
	size_t count;
};

struct walk_u64_set {
	uint64_t *slots;	/* 0 = empty, so keys are stored plus one */
	size_t cap;
	size_t count;
};

enum {
	NODE_PARSED = 1,	/* time and parents are loaded */
	NODE_QUEUED = 2,	/* in the date queue, not yet processed */
	NODE_UNINTERESTING = 4,	/* reachable from an excluded commit */
	NODE_SHALLOW = 8,	/* parents cut off by a shallow clone */
	NODE_DONE = 16,		/* processed by the walk */
};

struct walk_node {
	git_oid oid;
	git_oid tree;		/* the commit's root tree, once parsed */
	int64_t time;
	uint32_t parent_start;	/* into guard_git.edges */
	uint32_t parent_count;
	uint8_t flags;
};

enum blob_state {
	BLOB_PENDING = 0,
	BLOB_SCANNED,
	BLOB_TOO_LARGE,
	BLOB_UNREADABLE,
};

struct walk_blob {
	git_oid oid;
	uint32_t path;			/* first path it was planned under */
	uint8_t state;
	bool introduced;		/* some introduction adds it */
	bool listed;			/* already handed to the scan workers */
	uint32_t deleted_stamp;		/* last diff that deleted this content somewhere */
	uint64_t size;			/* bytes, set when the blob is too large to scan */
	struct guard_findings *findings;	/* NULL when none */
};

/* A path at a commit whose content the commit adds. ancestors lists the
 * blobs this content replaces (the parent's version, the versions of every
 * merge parent, or the blobs the commit deletes, for renames). */
struct walk_intro {
	uint32_t commit;	/* node index, WALK_NONE for staged content */
	uint32_t path;
	uint32_t blob;
	uint32_t anc_start;	/* into guard_git.ancestors */
	uint32_t anc_count;
};

/* One path whose blob a tree comparison found added, modified or deleted.
 * Submodule entries are left out. */
struct guard_git_change {
	git_delta_t status;
	uint16_t old_mode, new_mode;
	git_oid old_id, new_id;
	char *path;
};

struct guard_git_changes {
	struct guard_git_change *items;
	size_t count, cap;
};

/* Parsed trees kept between commits, because each commit's trees are the
 * old side of its children's comparisons. Direct-mapped by id, so memory
 * stays bounded by the slot count. */
#define TREE_CACHE_SLOTS 512

struct guard_git_tree_cache {
	struct guard_odb_reader *reader;	/* not owned */
	git_oid ids[TREE_CACHE_SLOTS];
	struct guard_git_object *slots[TREE_CACHE_SLOTS];
};

/* Reads a raw tree object through the cache; the caller unrefs *out. */
int guard_git_tree_get(struct guard_git_tree_cache *cache, const git_oid *id,
		       struct guard_git_object **out, struct guard_error *err);
void guard_git_tree_cache_release(struct guard_git_tree_cache *cache);

/* Looks path ("a/b/c") up below the tree root. *found is false when it
 * is not there; otherwise *mode and *id describe the entry. */
int guard_git_tree_find(struct guard_git_tree_cache *cache, const git_oid *root, const char *path,
			bool *found, uint16_t *mode, git_oid *id, struct guard_error *err);

/* Appends the changes from the tree old_tree to the tree new_tree (either
 * may be NULL for the empty tree), skipping subtrees whose ids are equal.
 * Trees are read as raw objects, without libgit2's per-entry parsing. */
int guard_git_diff_trees(struct guard_git_tree_cache *cache,
			 const git_oid *old_tree, const git_oid *new_tree,
			 struct guard_git_changes *out, struct guard_error *err);

/* Appends the deltas of a libgit2 diff (used for the index). */
int guard_git_changes_from_diff(git_diff *diff, struct guard_git_changes *out,
				struct guard_error *err);

void guard_git_changes_clear(struct guard_git_changes *changes);
void guard_git_changes_release(struct guard_git_changes *changes);

struct guard_git {
	git_repository *repo;
	bool staged;

	struct walk_node *nodes;
	size_t node_count, node_cap;
	struct walk_map node_map;
	uint32_t *edges;		/* parent node indices */
	size_t edge_count, edge_cap;

	uint32_t *starts;		/* node indices to walk from */
	size_t start_count, start_cap;

	uint32_t *order;		/* interesting commits, parents first */
	size_t order_count;

	struct walk_blob *blobs;
	size_t blob_count, blob_cap;
	struct walk_map blob_map;

	char **paths;
	size_t path_count, path_cap;
	struct walk_map path_map;

	struct walk_intro *intros;
	size_t intro_count, intro_cap;
	uint32_t *ancestors;
	size_t anc_count, anc_cap;
	uint32_t diff_stamp;		/* counts the diffs planned */
	struct walk_u64_set seen_pairs;	/* (blob, path) already planned */
	struct guard_git_changes changes;	/* of the commit being planned */
	struct guard_git_tree_cache trees;
	struct guard_odb *odb;		/* pack reading, opened on first use */
	struct guard_odb_reader *reader;	/* of the walking thread */
	git_odb *fallback;		/* libgit2's, for the reader */

	bool shallow_hit;		/* the walk stopped at a shallow boundary */
	git_oidarray shallow;		/* from the repository's shallow file */
	bool shallow_loaded;

	bool planned;			/* guard_git_plan has run */
	/* Called from the walk for each blob the first time a commit adds it,
	 * so that it can be scanned while the walk goes on. */
	int (*on_blob)(void *ctx, uint32_t blob, struct guard_error *err);
	void *on_blob_ctx;

	uint64_t started_ms;		/* when the plan began, for the summary */
	struct guard_git_counts counts;
	char *summary;
};

/* Opens git->odb and the walking thread's reader, once. */
int guard_git_reader_open(struct guard_git *git, struct guard_error *err);

/* Grows *items (of size elem) so that one more fits. */
int guard_git_grow(void **items, size_t *cap, size_t count, size_t elem, struct guard_error *err);

#endif
