/* Tree-to-tree comparison for the history walk. git_diff_tree_to_tree in
 * libgit2 1.5 visits every entry of both trees, even below subtrees whose
 * ids are equal, which made a 20,000-commit history take minutes; this
 * comparison skips equal subtrees the way git's own tree diff does. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "source_git_impl.h"
#include "util.h"

/* Trees deeper than this are rejected rather than recursed into. */
#define TREE_DEPTH_MAX 256

struct diff_walk {
	git_repository *repo;
	struct guard_git_changes *out;
	struct guard_buf path;
	unsigned depth;
};

void guard_git_changes_clear(struct guard_git_changes *changes)
{
	size_t i;

	for (i = 0; i < changes->count; i++)
		free(changes->items[i].path);
	changes->count = 0;
}

void guard_git_changes_release(struct guard_git_changes *changes)
{
	guard_git_changes_clear(changes);
	free(changes->items);
	memset(changes, 0, sizeof(*changes));
}

static int add_change(struct guard_git_changes *changes, git_delta_t status, const char *path,
		      const git_oid *old_id, uint16_t old_mode, const git_oid *new_id,
		      uint16_t new_mode, struct guard_error *err)
{
	struct guard_git_change *change;

	if (guard_git_grow((void **)&changes->items, &changes->cap, changes->count,
			   sizeof(*changes->items), err) < 0)
		return -1;
	change = &changes->items[changes->count];
	memset(change, 0, sizeof(*change));
	change->status = status;
	change->old_mode = old_mode;
	change->new_mode = new_mode;
	if (old_id)
		git_oid_cpy(&change->old_id, old_id);
	if (new_id)
		git_oid_cpy(&change->new_id, new_id);
	change->path = guard_strdup(path, err);
	if (!change->path)
		return -1;
	changes->count++;
	return 0;
}

/* Orders entries as git sorts a tree: by name, a tree's name compared as
 * if it ended in '/'. */
static int entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *an = git_tree_entry_name(a), *bn = git_tree_entry_name(b);
	size_t al = strlen(an), bl = strlen(bn), n = al < bl ? al : bl;
	unsigned char ac, bc;
	int c = memcmp(an, bn, n);

	if (c)
		return c;
	ac = al > n ? (unsigned char)an[n] : git_tree_entry_type(a) == GIT_OBJECT_TREE ? '/' : 0;
	bc = bl > n ? (unsigned char)bn[n] : git_tree_entry_type(b) == GIT_OBJECT_TREE ? '/' : 0;
	return (int)ac - (int)bc;
}

static int compare_trees(struct diff_walk *dw, const git_tree *old_tree, const git_tree *new_tree,
			 struct guard_error *err);

/* Appends "/name" (or "name" at the top) to the path; returns the old length. */
static int path_push(struct diff_walk *dw, const git_tree_entry *entry, size_t *saved,
		     struct guard_error *err)
{
	*saved = dw->path.len;
	if (dw->path.len && guard_buf_putc(&dw->path, '/', err) < 0)
		return -1;
	return guard_buf_puts(&dw->path, git_tree_entry_name(entry), err);
}

/* Recurses into a subtree that exists only on one side (old or new). */
static int one_sided_tree(struct diff_walk *dw, const git_tree_entry *entry, bool added,
			  struct guard_error *err)
{
	git_tree *sub = NULL;
	int rc;

	if (git_tree_lookup(&sub, dw->repo, git_tree_entry_id(entry)) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "reading a tree");
	rc = added ? compare_trees(dw, NULL, sub, err) : compare_trees(dw, sub, NULL, err);
	git_tree_free(sub);
	return rc;
}

static int entry_removed(struct diff_walk *dw, const git_tree_entry *entry, struct guard_error *err)
{
	size_t saved;
	int rc;

	if (git_tree_entry_type(entry) == GIT_OBJECT_COMMIT)
		return 0;
	if (path_push(dw, entry, &saved, err) < 0)
		return -1;
	if (git_tree_entry_type(entry) == GIT_OBJECT_TREE)
		rc = one_sided_tree(dw, entry, false, err);
	else
		rc = add_change(dw->out, GIT_DELTA_DELETED, dw->path.data, git_tree_entry_id(entry),
				(uint16_t)git_tree_entry_filemode(entry), NULL, 0, err);
	guard_buf_truncate(&dw->path, saved);
	return rc;
}

static int entry_added(struct diff_walk *dw, const git_tree_entry *entry, struct guard_error *err)
{
	size_t saved;
	int rc;

	if (git_tree_entry_type(entry) == GIT_OBJECT_COMMIT)
		return 0;
	if (path_push(dw, entry, &saved, err) < 0)
		return -1;
	if (git_tree_entry_type(entry) == GIT_OBJECT_TREE)
		rc = one_sided_tree(dw, entry, true, err);
	else
		rc = add_change(dw->out, GIT_DELTA_ADDED, dw->path.data, NULL, 0,
				git_tree_entry_id(entry), (uint16_t)git_tree_entry_filemode(entry), err);
	guard_buf_truncate(&dw->path, saved);
	return rc;
}

/* Both sides have the name: recurse into two trees, report a changed blob,
 * or treat a tree/blob swap as a removal and an addition. */
static int entry_changed(struct diff_walk *dw, const git_tree_entry *a, const git_tree_entry *b,
			 struct guard_error *err)
{
	git_tree *old_sub = NULL, *new_sub = NULL;
	git_object_t at = git_tree_entry_type(a), bt = git_tree_entry_type(b);
	size_t saved;
	int rc;

	if (git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)))
		return 0;	/* a mode change adds no content */
	if (at == GIT_OBJECT_TREE && bt == GIT_OBJECT_TREE) {
		if (path_push(dw, a, &saved, err) < 0)
			return -1;
		rc = -1;
		if (git_tree_lookup(&old_sub, dw->repo, git_tree_entry_id(a)) < 0 ||
		    git_tree_lookup(&new_sub, dw->repo, git_tree_entry_id(b)) < 0)
			guard_git_error(err, GUARD_ERR_IO, "reading a tree");
		else
			rc = compare_trees(dw, old_sub, new_sub, err);
		git_tree_free(old_sub);
		git_tree_free(new_sub);
		guard_buf_truncate(&dw->path, saved);
		return rc;
	}
	if (at == GIT_OBJECT_BLOB && bt == GIT_OBJECT_BLOB) {
		if (path_push(dw, b, &saved, err) < 0)
			return -1;
		rc = add_change(dw->out, GIT_DELTA_MODIFIED, dw->path.data, git_tree_entry_id(a),
				(uint16_t)git_tree_entry_filemode(a), git_tree_entry_id(b),
				(uint16_t)git_tree_entry_filemode(b), err);
		guard_buf_truncate(&dw->path, saved);
		return rc;
	}
	if (entry_removed(dw, a, err) < 0)
		return -1;
	return entry_added(dw, b, err);
}

static int compare_trees(struct diff_walk *dw, const git_tree *old_tree, const git_tree *new_tree,
			 struct guard_error *err)
{
	size_t i = 0, j = 0, no = old_tree ? git_tree_entrycount(old_tree) : 0;
	size_t nn = new_tree ? git_tree_entrycount(new_tree) : 0;
	const git_tree_entry *a, *b;
	int c, rc = 0;

	if (++dw->depth > TREE_DEPTH_MAX) {
		dw->depth--;
		return guard_error_set(err, GUARD_ERR_LIMIT, "tree '%s' is nested more than %d levels deep",
				       dw->path.data ? dw->path.data : "", TREE_DEPTH_MAX);
	}
	while (rc == 0 && (i < no || j < nn)) {
		a = i < no ? git_tree_entry_byindex(old_tree, i) : NULL;
		b = j < nn ? git_tree_entry_byindex(new_tree, j) : NULL;
		c = !a ? 1 : !b ? -1 : entry_cmp(a, b);
		if (c < 0) {
			rc = entry_removed(dw, a, err);
			i++;
		} else if (c > 0) {
			rc = entry_added(dw, b, err);
			j++;
		} else {
			rc = entry_changed(dw, a, b, err);
			i++;
			j++;
		}
	}
	dw->depth--;
	return rc;
}

int guard_git_diff_trees(git_repository *repo, const git_tree *old_tree, const git_tree *new_tree,
			 struct guard_git_changes *out, struct guard_error *err)
{
	struct diff_walk dw;
	int rc;

	memset(&dw, 0, sizeof(dw));
	dw.repo = repo;
	dw.out = out;
	guard_buf_init(&dw.path, 64 * 1024);
	rc = compare_trees(&dw, old_tree, new_tree, err);
	guard_buf_release(&dw.path);
	return rc;
}

int guard_git_changes_from_diff(git_diff *diff, struct guard_git_changes *out,
				struct guard_error *err)
{
	size_t i, count = git_diff_num_deltas(diff);
	const git_diff_delta *d;

	for (i = 0; i < count; i++) {
		d = git_diff_get_delta(diff, i);
		if (add_change(out, d->status,
			       d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path,
			       &d->old_file.id, d->old_file.mode, &d->new_file.id, d->new_file.mode,
			       err) < 0)
			return -1;
	}
	return 0;
}
