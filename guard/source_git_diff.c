/* Tree-to-tree comparison for the history walk. git_diff_tree_to_tree in
 * libgit2 1.5 visits every entry of both trees, even below subtrees whose
 * ids are equal, so a 20,000-commit history took minutes. This comparison
 * skips equal subtrees the way git's own tree diff does. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "source_git_impl.h"
#include "util.h"

/* Trees larger than this are not read. An entry takes a mode, a name and a
 * 20-byte id (about 40 bytes), so this allows over a million entries. */
#define TREE_MAX (64ull * 1024 * 1024)

/* Trees deeper than this are rejected rather than recursed into. */
#define TREE_DEPTH_MAX 256

struct diff_walk {
	struct guard_git_tree_cache *cache;
	struct guard_git_changes *out;
	struct guard_buf path;
	unsigned depth;
};

/* One entry of a raw tree object: "<octal mode> <name>\0<raw id>". */
struct raw_entry {
	const char *name;	/* NUL-terminated inside the object */
	size_t name_len;
	uint32_t mode;
	git_oid id;
};

int guard_git_tree_get(struct guard_git_tree_cache *cache, const git_oid *id,
		       struct guard_git_object **out, struct guard_error *err)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t key;
	int rc;

	memcpy(&key, id->id, sizeof(key));
	key %= TREE_CACHE_SLOTS;
	if (cache->slots[key] && git_oid_equal(&cache->ids[key], id)) {
		*out = guard_git_object_ref(cache->slots[key]);
		return 0;
	}
	rc = guard_odb_read(cache->reader, id, TREE_MAX, true, out, NULL, err);
	if (rc == 0 && (*out)->type != GIT_OBJECT_TREE) {
		git_oid_tostr(hex, sizeof(hex), id);
		guard_error_set(err, GUARD_ERR_PARSE, "object '%s' should be a tree but is a %s", hex,
				git_object_type2string((*out)->type));
		guard_git_object_unref(*out);
		*out = NULL;
		return -1;
	}
	if (rc != 0) {
		git_oid_tostr(hex, sizeof(hex), id);
		if (rc > 0)
			guard_error_set(err, GUARD_ERR_LIMIT, "tree '%s' is larger than %llu bytes", hex,
					TREE_MAX);
		return guard_error_prefix(err, "reading tree '%s'", hex);
	}
	guard_git_object_unref(cache->slots[key]);
	cache->slots[key] = guard_git_object_ref(*out);
	git_oid_cpy(&cache->ids[key], id);
	return 0;
}

void guard_git_tree_cache_release(struct guard_git_tree_cache *cache)
{
	size_t i;

	for (i = 0; i < TREE_CACHE_SLOTS; i++) {
		guard_git_object_unref(cache->slots[i]);
		cache->slots[i] = NULL;
	}
}

/* Reads the entry at *pos and advances it. Returns 1 for an entry, 0 at
 * the end, and -1 when the object is not a well-formed tree. */
static int raw_next(const struct guard_git_object *tree, size_t *pos, struct raw_entry *e)
{
	const char *data = (const char *)tree->data, *p, *space, *nul;
	size_t len = tree->size;
	uint32_t mode = 0;

	if (*pos >= len)
		return 0;
	p = data + *pos;
	space = memchr(p, ' ', len - *pos);
	if (!space || space == p || space - p > 7)
		return -1;
	for (; p < space; p++) {
		if (*p < '0' || *p > '7')
			return -1;
		mode = mode * 8 + (uint32_t)(*p - '0');
	}
	nul = memchr(space + 1, '\0', (size_t)(data + len - space - 1));
	if (!nul || nul == space + 1 || (size_t)(data + len - nul - 1) < GIT_OID_RAWSZ)
		return -1;
	e->name = space + 1;
	e->name_len = (size_t)(nul - space - 1);
	e->mode = mode;
	git_oid_fromraw(&e->id, (const unsigned char *)nul + 1);
	*pos = (size_t)(nul + 1 + GIT_OID_RAWSZ - data);
	return 1;
}

static bool raw_is_tree(const struct raw_entry *e)
{
	return (e->mode & 0170000) == 0040000;
}

static bool raw_is_submodule(const struct raw_entry *e)
{
	return (e->mode & 0170000) == 0160000;
}

int guard_git_tree_find(struct guard_git_tree_cache *cache, const git_oid *root, const char *path,
			bool *found, uint16_t *mode, git_oid *id, struct guard_error *err)
{
	struct guard_git_object *tree = NULL;
	struct raw_entry e;
	git_oid cur = *root;
	const char *slash;
	size_t len, pos;
	unsigned depth;
	int rc;

	*found = false;
	for (depth = 0; depth < TREE_DEPTH_MAX; depth++) {
		slash = strchr(path, '/');
		len = slash ? (size_t)(slash - path) : strlen(path);
		if (guard_git_tree_get(cache, &cur, &tree, err) < 0)
			return -1;
		pos = 0;
		while ((rc = raw_next(tree, &pos, &e)) > 0)
			if (e.name_len == len && memcmp(e.name, path, len) == 0)
				break;
		guard_git_object_unref(tree);
		if (rc < 0) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), &cur);
			return guard_error_set(err, GUARD_ERR_PARSE, "malformed tree object '%s'", hex);
		}
		if (rc == 0)
			return 0;
		if (!slash) {
			*found = true;
			*mode = (uint16_t)e.mode;
			git_oid_cpy(id, &e.id);
			return 0;
		}
		if (!raw_is_tree(&e))
			return 0;
		cur = e.id;
		path = slash + 1;
	}
	return guard_error_set(err, GUARD_ERR_LIMIT, "tree path nested more than %d levels deep",
			       TREE_DEPTH_MAX);
}

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
static int entry_cmp(const struct raw_entry *a, const struct raw_entry *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	unsigned char ac, bc;
	int c = memcmp(a->name, b->name, n);

	if (c)
		return c;
	ac = a->name_len > n ? (unsigned char)a->name[n] : raw_is_tree(a) ? '/' : 0;
	bc = b->name_len > n ? (unsigned char)b->name[n] : raw_is_tree(b) ? '/' : 0;
	return (int)ac - (int)bc;
}

static int compare_trees(struct diff_walk *dw, const git_oid *old_id, const git_oid *new_id,
			 struct guard_error *err);

/* Appends "/name" (or "name" at the top) to the path; *saved gets the old length. */
static int path_push(struct diff_walk *dw, const struct raw_entry *entry, size_t *saved,
		     struct guard_error *err)
{
	*saved = dw->path.len;
	if (dw->path.len && guard_buf_putc(&dw->path, '/', err) < 0)
		return -1;
	return guard_buf_append(&dw->path, entry->name, entry->name_len, err);
}

static int entry_one_side(struct diff_walk *dw, const struct raw_entry *entry, bool added,
			  struct guard_error *err)
{
	size_t saved;
	int rc;

	if (raw_is_submodule(entry))
		return 0;
	if (path_push(dw, entry, &saved, err) < 0)
		return -1;
	if (raw_is_tree(entry))
		rc = added ? compare_trees(dw, NULL, &entry->id, err)
			   : compare_trees(dw, &entry->id, NULL, err);
	else if (added)
		rc = add_change(dw->out, GIT_DELTA_ADDED, dw->path.data, NULL, 0, &entry->id,
				(uint16_t)entry->mode, err);
	else
		rc = add_change(dw->out, GIT_DELTA_DELETED, dw->path.data, &entry->id,
				(uint16_t)entry->mode, NULL, 0, err);
	guard_buf_truncate(&dw->path, saved);
	return rc;
}

/* Both sides have the name: recurse into two trees, report a changed blob,
 * or treat a tree/blob swap as a removal and an addition. */
static int entry_changed(struct diff_walk *dw, const struct raw_entry *a, const struct raw_entry *b,
			 struct guard_error *err)
{
	size_t saved;
	int rc;

	if (git_oid_equal(&a->id, &b->id))
		return 0;	/* a mode change adds no content */
	if (raw_is_submodule(a) || raw_is_submodule(b) || raw_is_tree(a) != raw_is_tree(b)) {
		if (entry_one_side(dw, a, false, err) < 0)
			return -1;
		return entry_one_side(dw, b, true, err);
	}
	if (path_push(dw, a, &saved, err) < 0)
		return -1;
	if (raw_is_tree(a))
		rc = compare_trees(dw, &a->id, &b->id, err);
	else
		rc = add_change(dw->out, GIT_DELTA_MODIFIED, dw->path.data, &a->id, (uint16_t)a->mode,
				&b->id, (uint16_t)b->mode, err);
	guard_buf_truncate(&dw->path, saved);
	return rc;
}

/* Moves *i and *j past the entries that are byte for byte the same at the
 * current positions of both trees. Most of a tree is unchanged from one
 * commit to the next, and this skips it without parsing each entry. */
static void skip_equal_entries(const struct guard_git_object *a, size_t *i,
			       const struct guard_git_object *b, size_t *j)
{
	const unsigned char *pa = a->data + *i, *pb = b->data + *j, *nul;
	size_t n = a->size - *i < b->size - *j ? a->size - *i : b->size - *j;
	size_t same = 0, end = 0, next;
	uint64_t wa, wb;

	while (same + 8 <= n) {
		memcpy(&wa, pa + same, 8);
		memcpy(&wb, pb + same, 8);
		if (wa != wb)
			break;
		same += 8;
	}
	while (same < n && pa[same] == pb[same])
		same++;
	/* Whole entries ("mode name\0" and a raw id) inside the common part. */
	for (;;) {
		nul = memchr(pa + end, '\0', same - end);
		if (!nul)
			break;
		next = (size_t)(nul - pa) + 1 + GIT_OID_RAWSZ;
		if (next > same)
			break;
		end = next;
	}
	*i += end;
	*j += end;
}

static int malformed(const git_oid *id, struct guard_error *err)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return guard_error_set(err, GUARD_ERR_PARSE, "malformed tree object '%s'", hex);
}

/* Walks two sorted trees side by side. Either id may be NULL (no tree). */
static int compare_trees(struct diff_walk *dw, const git_oid *old_id, const git_oid *new_id,
			 struct guard_error *err)
{
	struct guard_git_object *old_tree = NULL, *new_tree = NULL;
	struct raw_entry a, b;
	size_t i = 0, j = 0;
	int has_a = 0, has_b = 0, c, rc = -1;

	if (dw->depth >= TREE_DEPTH_MAX)
		return guard_error_set(err, GUARD_ERR_LIMIT, "tree '%s' is nested more than %d levels deep",
				       dw->path.data ? dw->path.data : "", TREE_DEPTH_MAX);
	if ((old_id && guard_git_tree_get(dw->cache, old_id, &old_tree, err) < 0) ||
	    (new_id && guard_git_tree_get(dw->cache, new_id, &new_tree, err) < 0))
		goto out;
	dw->depth++;

	if (old_tree && new_tree)
		skip_equal_entries(old_tree, &i, new_tree, &j);
	if (old_tree && (has_a = raw_next(old_tree, &i, &a)) < 0)
		goto bad_old;
	if (new_tree && (has_b = raw_next(new_tree, &j, &b)) < 0)
		goto bad_new;
	rc = 0;
	while (rc == 0 && (has_a || has_b)) {
		if (!has_a)
			c = 1;
		else if (!has_b)
			c = -1;
		else
			c = entry_cmp(&a, &b);
		if (c <= 0)
			rc = c < 0 ? entry_one_side(dw, &a, false, err) : entry_changed(dw, &a, &b, err);
		else
			rc = entry_one_side(dw, &b, true, err);
		if (rc < 0)
			break;
		if (c == 0)
			skip_equal_entries(old_tree, &i, new_tree, &j);
		if (c <= 0 && (has_a = raw_next(old_tree, &i, &a)) < 0)
			goto bad_old;
		if (c >= 0 && (has_b = raw_next(new_tree, &j, &b)) < 0)
			goto bad_new;
	}
	goto done;
bad_old:
	rc = malformed(old_id, err);
	goto done;
bad_new:
	rc = malformed(new_id, err);
done:
	dw->depth--;
out:
	guard_git_object_unref(old_tree);
	guard_git_object_unref(new_tree);
	return rc;
}

int guard_git_diff_trees(struct guard_git_tree_cache *cache,
			 const git_oid *old_tree, const git_oid *new_tree,
			 struct guard_git_changes *out, struct guard_error *err)
{
	struct diff_walk dw;
	int rc;

	memset(&dw, 0, sizeof(dw));
	dw.cache = cache;
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
