/* Selecting commits, walking them parents first and listing what each one
 * adds. The walk is done here instead of with git_revwalk because libgit2
 * 1.5 fails on the missing parents of a shallow clone, and because the
 * scan needs every commit's parents at hand. */
#include "source_git.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "source_git_impl.h"
#include "util.h"

/* Commits processed past the point where only excluded commits are queued,
 * so that a commit dated earlier than its parent (clock skew) is still
 * recognised as excluded. git's revision walk uses the same idea. */
#define WALK_SLOP 8

#define SHALLOW_FILE_MAX (64u * 1024u * 1024u)

/* Commits larger than this are not parsed. */
#define COMMIT_MAX (64u * 1024u * 1024u)

/* The delta base cache of the walking thread: trees of a commit are the
 * bases of its children's trees in most packs. */
#define WALK_CACHE_BYTES (8u * 1024u * 1024u)

int guard_git_error(struct guard_error *err, enum guard_error_code code, const char *fmt, ...)
{
	const git_error *last = git_error_last();
	char what[GUARD_ERROR_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return guard_error_set(err, code, "%s: %s", what,
			       last && last->message ? last->message : "unknown libgit2 error");
}

int guard_git_grow(void **items, size_t *cap, size_t count, size_t elem, struct guard_error *err)
{
	size_t new_cap;
	void *grown;

	if (count < *cap)
		return 0;
	new_cap = *cap ? *cap * 2 : 64;
	if (new_cap > SIZE_MAX / elem || new_cap > UINT32_MAX - 1)
		return guard_error_set(err, GUARD_ERR_LIMIT, "git history too large: more than %zu entries",
				       *cap);
	grown = realloc(*items, new_cap * elem);
	if (!grown)
		return guard_error_oom(err);
	*items = grown;
	*cap = new_cap;
	return 0;
}

/* FNV-1a over a byte string. */
static uint64_t hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t hash_oid(const git_oid *oid)
{
	uint64_t h;

	/* Object ids are already uniformly distributed. */
	memcpy(&h, oid->id, sizeof(h));
	return h;
}

/* Map lookups: key_hash is the hash of the key, eq compares the key with
 * the item at an index. */
typedef bool (*walk_eq_fn)(const struct guard_git *git, uint32_t index, const void *key);

static uint32_t map_find(const struct guard_git *git, const struct walk_map *map, uint64_t key_hash,
			 const void *key, walk_eq_fn eq)
{
	size_t mask, i;

	if (!map->cap)
		return WALK_NONE;
	mask = map->cap - 1;
	for (i = key_hash & mask; map->slots[i] != WALK_NONE; i = (i + 1) & mask)
		if (eq(git, map->slots[i], key))
			return map->slots[i];
	return WALK_NONE;
}

static void map_place(uint32_t *slots, size_t cap, uint64_t key_hash, uint32_t index)
{
	size_t mask = cap - 1, i;

	for (i = key_hash & mask; slots[i] != WALK_NONE; i = (i + 1) & mask)
		;
	slots[i] = index;
}

typedef uint64_t (*walk_hash_fn)(const struct guard_git *git, uint32_t index);

/* Inserts index, which must not be present yet. */
static int map_insert(struct guard_git *git, struct walk_map *map, uint64_t key_hash, uint32_t index,
		      walk_hash_fn rehash, struct guard_error *err)
{
	if ((map->count + 1) * 2 > map->cap) {
		size_t new_cap = map->cap ? map->cap * 2 : 1024, i;
		uint32_t *slots = malloc(new_cap * sizeof(*slots));

		if (!slots)
			return guard_error_oom(err);
		memset(slots, 0xff, new_cap * sizeof(*slots));
		for (i = 0; i < map->cap; i++)
			if (map->slots[i] != WALK_NONE)
				map_place(slots, new_cap, rehash(git, map->slots[i]), map->slots[i]);
		free(map->slots);
		map->slots = slots;
		map->cap = new_cap;
	}
	map_place(map->slots, map->cap, key_hash, index);
	map->count++;
	return 0;
}

/* Adds key to the set; returns 1 when it was new, 0 when already present. */
static int u64_set_add(struct walk_u64_set *set, uint64_t key, struct guard_error *err)
{
	size_t mask, i;

	key++;
	if ((set->count + 1) * 2 > set->cap) {
		size_t new_cap = set->cap ? set->cap * 2 : 1024, j;
		uint64_t *slots = calloc(new_cap, sizeof(*slots));

		if (!slots)
			return guard_error_oom(err);
		for (j = 0; j < set->cap; j++) {
			if (!set->slots[j])
				continue;
			for (i = (set->slots[j] * 0x9e3779b97f4a7c15ull) & (new_cap - 1); slots[i];
			     i = (i + 1) & (new_cap - 1))
				;
			slots[i] = set->slots[j];
		}
		free(set->slots);
		set->slots = slots;
		set->cap = new_cap;
	}
	mask = set->cap - 1;
	for (i = (key * 0x9e3779b97f4a7c15ull) & mask; set->slots[i]; i = (i + 1) & mask)
		if (set->slots[i] == key)
			return 0;
	set->slots[i] = key;
	set->count++;
	return 1;
}

static bool node_eq(const struct guard_git *git, uint32_t index, const void *key)
{
	return git_oid_equal(&git->nodes[index].oid, key);
}

static uint64_t node_hash(const struct guard_git *git, uint32_t index)
{
	return hash_oid(&git->nodes[index].oid);
}

static bool blob_eq(const struct guard_git *git, uint32_t index, const void *key)
{
	return git_oid_equal(&git->blobs[index].oid, key);
}

static uint64_t blob_hash(const struct guard_git *git, uint32_t index)
{
	return hash_oid(&git->blobs[index].oid);
}

static bool path_eq(const struct guard_git *git, uint32_t index, const void *key)
{
	return strcmp(git->paths[index], key) == 0;
}

static uint64_t path_hash(const struct guard_git *git, uint32_t index)
{
	return hash_bytes(git->paths[index], strlen(git->paths[index]));
}

static int node_get(struct guard_git *git, const git_oid *oid, uint32_t *out, struct guard_error *err)
{
	uint64_t h = hash_oid(oid);
	uint32_t index = map_find(git, &git->node_map, h, oid, node_eq);
	struct walk_node *node;

	if (index == WALK_NONE) {
		if (guard_git_grow((void **)&git->nodes, &git->node_cap, git->node_count,
				   sizeof(*git->nodes), err) < 0)
			return -1;
		index = (uint32_t)git->node_count;
		node = &git->nodes[index];
		memset(node, 0, sizeof(*node));
		git_oid_cpy(&node->oid, oid);
		git->node_count++;
		if (map_insert(git, &git->node_map, h, index, node_hash, err) < 0)
			return -1;
	}
	*out = index;
	return 0;
}

static int blob_get(struct guard_git *git, const git_oid *oid, uint32_t path, uint32_t *out,
		    struct guard_error *err)
{
	uint64_t h = hash_oid(oid);
	uint32_t index = map_find(git, &git->blob_map, h, oid, blob_eq);
	struct walk_blob *blob;

	if (index == WALK_NONE) {
		if (guard_git_grow((void **)&git->blobs, &git->blob_cap, git->blob_count,
				   sizeof(*git->blobs), err) < 0)
			return -1;
		index = (uint32_t)git->blob_count;
		blob = &git->blobs[index];
		memset(blob, 0, sizeof(*blob));
		git_oid_cpy(&blob->oid, oid);
		blob->path = path;
		git->blob_count++;
		if (map_insert(git, &git->blob_map, h, index, blob_hash, err) < 0)
			return -1;
	}
	*out = index;
	return 0;
}

static int path_intern(struct guard_git *git, const char *path, uint32_t *out, struct guard_error *err)
{
	uint64_t h = hash_bytes(path, strlen(path));
	uint32_t index = map_find(git, &git->path_map, h, path, path_eq);

	if (index == WALK_NONE) {
		if (guard_git_grow((void **)&git->paths, &git->path_cap, git->path_count,
				   sizeof(*git->paths), err) < 0)
			return -1;
		index = (uint32_t)git->path_count;
		git->paths[index] = guard_strdup(path, err);
		if (!git->paths[index])
			return -1;
		git->path_count++;
		if (map_insert(git, &git->path_map, h, index, path_hash, err) < 0)
			return -1;
	}
	*out = index;
	return 0;
}

/* Sets err for a folder (or GIT_DIR) where libgit2 found no repository. */
static int not_a_repository(struct guard_error *err)
{
	const char *git_dir = getenv("GIT_DIR");
	char *cwd;

	if (git_dir && *git_dir)
		return guard_error_set(err, GUARD_ERR_IO, "not a git repository: '%s' (from GIT_DIR); "
				       "set GIT_DIR to a repository, or unset it", git_dir);
	cwd = getcwd(NULL, 0);
	guard_error_set(err, GUARD_ERR_IO, "not a git repository: '%s' (nor any of its parent "
			"folders); run guard inside a git work tree or a bare repository",
			cwd ? cwd : ".");
	free(cwd);
	return -1;
}

int guard_git_open(struct guard_git **out, struct guard_error *err)
{
	struct guard_git *git = calloc(1, sizeof(*git));
	int rc;

	if (!git)
		return guard_error_oom(err);
	/* libgit2's object cache (256 MiB by default) made a 20,000-commit walk
	 * four times slower and its memory use over 300 MiB; each commit's
	 * trees are read about twice, so the walk goes without it. */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	rc = git_repository_open_ext(&git->repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (rc < 0) {
		free(git);
		if (rc == GIT_ENOTFOUND)
			return not_a_repository(err);
		return guard_git_error(err, GUARD_ERR_IO, "opening the git repository of the current folder");
	}
	*out = git;
	return 0;
}

void guard_git_free(struct guard_git *git)
{
	size_t i;

	if (!git)
		return;
	for (i = 0; i < git->blob_count; i++) {
		if (git->blobs[i].findings) {
			guard_findings_release(git->blobs[i].findings);
			free(git->blobs[i].findings);
		}
	}
	for (i = 0; i < git->path_count; i++)
		free(git->paths[i]);
	free(git->nodes);
	free(git->node_map.slots);
	free(git->edges);
	free(git->starts);
	free(git->order);
	free(git->blobs);
	free(git->blob_map.slots);
	free(git->paths);
	free(git->path_map.slots);
	free(git->intros);
	free(git->ancestors);
	free(git->seen_pairs.slots);
	guard_git_changes_release(&git->changes);
	guard_git_tree_cache_release(&git->trees);
	guard_odb_reader_free(git->reader);
	git_odb_free(git->fallback);
	guard_odb_free(git->odb);
	if (git->shallow_loaded)
		git_oidarray_dispose(&git->shallow);
	free(git->summary);
	git_repository_free(git->repo);
	free(git);
}

git_repository *guard_git_repository(struct guard_git *git)
{
	return git->repo;
}

void guard_git_select_staged(struct guard_git *git)
{
	git->staged = true;
}

/* Reads the ids listed in the shallow file, the commits whose parents a
 * shallow clone does not have. */
static int load_shallow(struct guard_git *git, struct guard_error *err)
{
	char *path = NULL, *data = NULL, *line, *end;
	size_t len = 0, count = 0;
	int rc = -1;

	if (git->shallow_loaded)
		return 0;
	git->shallow_loaded = true;
	git->shallow.ids = NULL;
	git->shallow.count = 0;
	if (!git_repository_is_shallow(git->repo))
		return 0;

	path = guard_path_join(git_repository_commondir(git->repo), "shallow");
	if (!path)
		return guard_error_oom(err);
	if (guard_read_file(path, SHALLOW_FILE_MAX, &data, &len, err) < 0)
		goto done;
	git->shallow.ids = calloc(len / 40 + 1, sizeof(git_oid));
	if (!git->shallow.ids) {
		guard_error_oom(err);
		goto done;
	}
	for (line = data; line < data + len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(data + len - line));
		if (!end)
			end = data + len;
		*end = '\0';
		if (!*line)
			continue;
		if (git_oid_fromstr(&git->shallow.ids[count], line) < 0) {
			guard_error_set(err, GUARD_ERR_PARSE, "invalid line in '%s': '%.80s'", path, line);
			goto done;
		}
		count++;
	}
	git->shallow.count = count;
	rc = 0;
done:
	free(path);
	free(data);
	return rc;
}

static bool is_shallow_commit(const struct guard_git *git, const git_oid *oid)
{
	size_t i;

	for (i = 0; i < git->shallow.count; i++)
		if (git_oid_equal(&git->shallow.ids[i], oid))
			return true;
	return false;
}

static int open_fallback(void *ctx, git_odb **out, struct guard_error *err)
{
	struct guard_git *git = ctx;

	if (!git->fallback && git_repository_odb(&git->fallback, git->repo) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "opening the object database");
	*out = git->fallback;
	return 0;
}

/* Opens guard's own object reader for the walking thread. */
int guard_git_reader_open(struct guard_git *git, struct guard_error *err)
{
	if (git->reader)
		return 0;
	if (!git->odb && guard_odb_open(&git->odb, git->repo, err) < 0)
		return -1;
	if (guard_odb_reader_new(&git->reader, git->odb, open_fallback, git, WALK_CACHE_BYTES,
				 err) < 0)
		return -1;
	git->trees.reader = git->reader;
	return 0;
}

static bool parse_hex_id(const unsigned char *p, const unsigned char *end, const char *field,
			 git_oid *out)
{
	size_t len = strlen(field);

	if ((size_t)(end - p) < len + GIT_OID_HEXSZ + 1 || memcmp(p, field, len) != 0 ||
	    p[len + GIT_OID_HEXSZ] != '\n')
		return false;
	return git_oid_fromstrn(out, (const char *)p + len, GIT_OID_HEXSZ) == 0;
}

/* Reads the committer time of a raw commit: the line
 * "committer NAME <EMAIL> SECONDS ZONE" among the headers. */
static bool parse_committer_time(const unsigned char *p, const unsigned char *end, int64_t *out)
{
	const unsigned char *line_end, *gt;
	int64_t t = 0;

	while (p < end && *p != '\n') {
		line_end = memchr(p, '\n', (size_t)(end - p));
		if (!line_end)
			return false;
		if ((size_t)(line_end - p) > 10 && memcmp(p, "committer ", 10) == 0) {
			for (gt = line_end; gt > p && gt[-1] != '>'; gt--)
				;
			if (gt == p || gt >= line_end || *gt != ' ')
				return false;
			for (gt++; gt < line_end && *gt >= '0' && *gt <= '9'; gt++) {
				if (t > (INT64_MAX - 9) / 10)
					return false;
				t = t * 10 + (*gt - '0');
			}
			*out = t;
			return true;
		}
		p = line_end + 1;
	}
	return false;
}

/* Loads time and parents from a raw commit. Returns 1 when the commit is
 * not in the shape git writes, so that libgit2's parser can try it. */
static int node_parse_raw(struct guard_git *git, uint32_t index, const struct guard_git_object *obj,
			  struct guard_error *err)
{
	const unsigned char *p = obj->data, *end = obj->data + obj->size, *parents;
	struct walk_node *node = &git->nodes[index];
	git_oid tree, parent_id;
	uint32_t count = 0, i, parent;
	int64_t time;

	if (obj->type != GIT_OBJECT_COMMIT || !parse_hex_id(p, end, "tree ", &tree))
		return 1;
	p += 5 + GIT_OID_HEXSZ + 1;
	parents = p;
	while (parse_hex_id(p, end, "parent ", &parent_id)) {
		p += 7 + GIT_OID_HEXSZ + 1;
		count++;
	}
	if (!parse_committer_time(p, end, &time))
		return 1;

	node->time = time;
	git_oid_cpy(&node->tree, &tree);
	node->parent_start = (uint32_t)git->edge_count;
	if (count && is_shallow_commit(git, &node->oid)) {
		node->flags |= NODE_SHALLOW;
		count = 0;
	}
	for (i = 0; i < count; i++) {
		parse_hex_id(parents + (size_t)i * (7 + GIT_OID_HEXSZ + 1), end, "parent ", &parent_id);
		/* node_get may move git->nodes. */
		if (node_get(git, &parent_id, &parent, err) < 0 ||
		    guard_git_grow((void **)&git->edges, &git->edge_cap, git->edge_count,
				   sizeof(*git->edges), err) < 0)
			return -1;
		git->edges[git->edge_count++] = parent;
	}
	git->nodes[index].parent_count = count;
	git->nodes[index].flags |= NODE_PARSED;
	return 0;
}

/* Loads a commit's time and parents into its node. */
static int node_parse(struct guard_git *git, uint32_t index, struct guard_error *err)
{
	struct guard_git_object *obj = NULL;
	git_commit *commit = NULL;
	unsigned i, count;
	uint32_t parent;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if (git->nodes[index].flags & NODE_PARSED)
		return 0;
	if (guard_git_reader_open(git, err) < 0)
		return -1;
	git_oid_tostr(hex, sizeof(hex), &git->nodes[index].oid);
	rc = guard_odb_read(git->reader, &git->nodes[index].oid, COMMIT_MAX, false, &obj, NULL, err);
	if (rc > 0)
		return guard_error_set(err, GUARD_ERR_LIMIT, "commit '%s' is larger than %u bytes",
				       hex, COMMIT_MAX);
	if (rc < 0)
		return guard_error_prefix(err, "reading commit '%s'", hex);
	rc = node_parse_raw(git, index, obj, err);
	guard_git_object_unref(obj);
	if (rc <= 0)
		return rc;

	if (git_commit_lookup(&commit, git->repo, &git->nodes[index].oid) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "reading commit '%s'", hex);
	git->nodes[index].time = (int64_t)git_commit_time(commit);
	git_oid_cpy(&git->nodes[index].tree, git_commit_tree_id(commit));
	git->nodes[index].parent_start = (uint32_t)git->edge_count;
	count = git_commit_parentcount(commit);
	if (count && is_shallow_commit(git, &git->nodes[index].oid)) {
		git->nodes[index].flags |= NODE_SHALLOW;
		count = 0;
	}
	for (i = 0; i < count; i++) {
		if (node_get(git, git_commit_parent_id(commit, i), &parent, err) < 0 ||
		    guard_git_grow((void **)&git->edges, &git->edge_cap, git->edge_count,
				   sizeof(*git->edges), err) < 0) {
			git_commit_free(commit);
			return -1;
		}
		git->edges[git->edge_count++] = parent;
	}
	git->nodes[index].parent_count = count;
	git->nodes[index].flags |= NODE_PARSED;
	git_commit_free(commit);
	return 0;
}

/* Peels a revision to a commit id. */
static int resolve_commit(struct guard_git *git, const char *rev, git_oid *out, struct guard_error *err)
{
	git_object *obj = NULL, *peeled = NULL;

	if (git_revparse_single(&obj, git->repo, rev) < 0)
		return guard_git_error(err, GUARD_ERR_USAGE, "invalid revision '%s'", rev);
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		return guard_git_error(err, GUARD_ERR_USAGE, "revision '%s' is not a commit", rev);
	}
	git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	git_object_free(obj);
	return 0;
}

static int add_start(struct guard_git *git, const git_oid *oid, bool exclude, struct guard_error *err)
{
	uint32_t index;

	if (load_shallow(git, err) < 0 || node_get(git, oid, &index, err) < 0)
		return -1;
	if (exclude)
		git->nodes[index].flags |= NODE_UNINTERESTING;
	if (guard_git_grow((void **)&git->starts, &git->start_cap, git->start_count,
			   sizeof(*git->starts), err) < 0)
		return -1;
	git->starts[git->start_count++] = index;
	return 0;
}

int guard_git_include(struct guard_git *git, const git_oid *oid, struct guard_error *err)
{
	return add_start(git, oid, false, err);
}

int guard_git_exclude(struct guard_git *git, const git_oid *oid, struct guard_error *err)
{
	return add_start(git, oid, true, err);
}

/* Adds the commit that each ref matching glob points to. Refs that do not
 * lead to a commit (a tag of a tree, a dangling ref) are skipped. */
static int add_refs(struct guard_git *git, const char *glob, bool exclude, struct guard_error *err)
{
	git_reference_iterator *iter = NULL;
	git_reference *ref;
	git_object *peeled;
	int rc = 0, next;

	if (git_reference_iterator_glob_new(&iter, git->repo, glob) < 0)
		return guard_git_error(err, GUARD_ERR_IO, "listing refs");
	while (rc == 0 && (next = git_reference_next(&ref, iter)) == 0) {
		if (git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0) {
			rc = add_start(git, git_object_id(peeled), exclude, err);
			git_object_free(peeled);
		} else {
			guard_log_debug("ref '%s' does not point to a commit; skipped",
					git_reference_name(ref));
		}
		git_reference_free(ref);
	}
	if (rc == 0 && next != GIT_ITEROVER)
		rc = guard_git_error(err, GUARD_ERR_IO, "listing refs");
	git_reference_iterator_free(iter);
	return rc;
}

int guard_git_select_all(struct guard_git *git, struct guard_error *err)
{
	git_oid head;

	if (add_refs(git, "refs/*", false, err) < 0)
		return -1;

	/* A detached HEAD is reachable from no ref; an unborn one adds nothing. */
	if (git_reference_name_to_id(&head, git->repo, "HEAD") == 0)
		return add_start(git, &head, false, err);
	return 0;
}

int guard_git_exclude_remote_refs(struct guard_git *git, struct guard_error *err)
{
	return add_refs(git, "refs/remotes/*", true, err);
}

/* A...B: both sides, minus everything reachable from their merge bases. */
static int select_symmetric(struct guard_git *git, const git_oid *from, const git_oid *to,
			    struct guard_error *err)
{
	git_oidarray bases = { NULL, 0 };
	size_t i;
	int rc;

	rc = git_merge_bases(&bases, git->repo, from, to);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return guard_git_error(err, GUARD_ERR_IO, "finding the merge base");
	rc = 0;
	if (add_start(git, from, false, err) < 0 || add_start(git, to, false, err) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < bases.count; i++)
		rc = add_start(git, &bases.ids[i], true, err);
	git_oidarray_dispose(&bases);
	return rc;
}

int guard_git_select_spec(struct guard_git *git, const char *spec, struct guard_error *err)
{
	git_revspec rs;
	git_oid from, to;
	int rc;

	if (spec[0] == '^') {
		if (resolve_commit(git, spec + 1, &from, err) < 0)
			return -1;
		return add_start(git, &from, true, err);
	}
	if (git_revparse(&rs, git->repo, spec) < 0)
		return guard_git_error(err, GUARD_ERR_USAGE, "invalid revision '%s'", spec);

	rc = 0;
	if (rs.flags & GIT_REVSPEC_SINGLE) {
		git_object *peeled = NULL;

		if (git_object_peel(&peeled, rs.from, GIT_OBJECT_COMMIT) < 0)
			rc = guard_git_error(err, GUARD_ERR_USAGE, "revision '%s' is not a commit", spec);
		else
			rc = add_start(git, git_object_id(peeled), false, err);
		git_object_free(peeled);
	} else {
		git_object *a = NULL, *b = NULL;

		if (git_object_peel(&a, rs.from, GIT_OBJECT_COMMIT) < 0 ||
		    git_object_peel(&b, rs.to, GIT_OBJECT_COMMIT) < 0) {
			rc = guard_git_error(err, GUARD_ERR_USAGE, "an end of range '%s' is not a commit",
					     spec);
		} else {
			git_oid_cpy(&from, git_object_id(a));
			git_oid_cpy(&to, git_object_id(b));
			if (rs.flags & GIT_REVSPEC_MERGE_BASE)
				rc = select_symmetric(git, &from, &to, err);
			else if (add_start(git, &to, false, err) < 0 ||
				 add_start(git, &from, true, err) < 0)
				rc = -1;
		}
		git_object_free(a);
		git_object_free(b);
	}
	git_object_free(rs.from);
	git_object_free(rs.to);
	return rc;
}

/* A binary heap of node indices. newest_first orders by descending commit
 * time (the walk), otherwise by ascending time (the topological sort). The
 * node index breaks ties so that the order is stable. */
struct date_queue {
	uint32_t *items;
	size_t count, cap;
	bool newest_first;
};

static bool queue_before(const struct guard_git *git, const struct date_queue *q, uint32_t a,
			 uint32_t b)
{
	int64_t ta = git->nodes[a].time, tb = git->nodes[b].time;

	if (ta != tb)
		return q->newest_first ? ta > tb : ta < tb;
	return q->newest_first ? a > b : a < b;
}

static int queue_push(const struct guard_git *git, struct date_queue *q, uint32_t index,
		      struct guard_error *err)
{
	size_t i, parent;

	if (guard_git_grow((void **)&q->items, &q->cap, q->count, sizeof(*q->items), err) < 0)
		return -1;
	i = q->count++;
	q->items[i] = index;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!queue_before(git, q, q->items[i], q->items[parent]))
			break;
		q->items[i] = q->items[parent];
		q->items[parent] = index;
		i = parent;
	}
	return 0;
}

static uint32_t queue_pop(const struct guard_git *git, struct date_queue *q)
{
	uint32_t top = q->items[0], moved;
	size_t i = 0, child;

	moved = q->items[--q->count];
	while ((child = 2 * i + 1) < q->count) {
		if (child + 1 < q->count && queue_before(git, q, q->items[child + 1], q->items[child]))
			child++;
		if (!queue_before(git, q, q->items[child], moved))
			break;
		q->items[i] = q->items[child];
		i = child;
	}
	if (q->count)
		q->items[i] = moved;
	return top;
}

struct walk_state {
	struct date_queue queue;
	size_t interesting_queued;
	uint32_t *stack;
	size_t stack_count, stack_cap;
};

static int walk_enqueue(struct guard_git *git, struct walk_state *ws, uint32_t index,
			struct guard_error *err)
{
	struct walk_node *node = &git->nodes[index];

	if (node->flags & (NODE_QUEUED | NODE_DONE))
		return 0;
	if (node_parse(git, index, err) < 0 || queue_push(git, &ws->queue, index, err) < 0)
		return -1;
	git->nodes[index].flags |= NODE_QUEUED;
	if (!(git->nodes[index].flags & NODE_UNINTERESTING))
		ws->interesting_queued++;
	return 0;
}

/* Marks index and, through the commits already processed, its ancestors as
 * reachable from an excluded commit. */
static int walk_mark_uninteresting(struct guard_git *git, struct walk_state *ws, uint32_t index,
				   struct guard_error *err)
{
	struct walk_node *node;
	uint32_t i, current;

	ws->stack_count = 0;
	if (guard_git_grow((void **)&ws->stack, &ws->stack_cap, 0, sizeof(*ws->stack), err) < 0)
		return -1;
	ws->stack[ws->stack_count++] = index;
	while (ws->stack_count) {
		current = ws->stack[--ws->stack_count];
		node = &git->nodes[current];
		if (node->flags & NODE_UNINTERESTING)
			continue;
		node->flags |= NODE_UNINTERESTING;
		if (node->flags & NODE_QUEUED)
			ws->interesting_queued--;
		if (!(node->flags & NODE_DONE))
			continue;
		for (i = 0; i < git->nodes[current].parent_count; i++) {
			if (guard_git_grow((void **)&ws->stack, &ws->stack_cap, ws->stack_count,
					   sizeof(*ws->stack), err) < 0)
				return -1;
			ws->stack[ws->stack_count++] = git->edges[git->nodes[current].parent_start + i];
		}
	}
	return 0;
}

/* Processes commits newest first until only excluded commits remain queued,
 * the way git limits a revision walk. Afterwards the selected commits are
 * the processed nodes not marked uninteresting. */
static int walk_limit(struct guard_git *git, struct guard_error *err)
{
	struct walk_state ws = { { NULL, 0, 0, true }, 0, NULL, 0, 0 };
	int64_t oldest = INT64_MAX;
	int slop = WALK_SLOP;
	uint32_t index, parent, i;
	int rc = -1;
	uint64_t done = 0;

	for (i = 0; i < git->start_count; i++)
		if (walk_enqueue(git, &ws, git->starts[i], err) < 0)
			goto out;

	while (ws.queue.count) {
		if (ws.interesting_queued == 0 &&
		    git->nodes[ws.queue.items[0]].time < oldest && slop-- <= 0)
			break;
		index = queue_pop(git, &ws.queue);
		git->nodes[index].flags = (uint8_t)((git->nodes[index].flags & ~NODE_QUEUED) | NODE_DONE);
		if (!(git->nodes[index].flags & NODE_UNINTERESTING)) {
			ws.interesting_queued--;
			if (git->nodes[index].time < oldest)
				oldest = git->nodes[index].time;
		}
		if (++done % 4096 == 0)
			guard_log_progress("walking commits: %llu", (unsigned long long)done);

		for (i = 0; i < git->nodes[index].parent_count; i++) {
			parent = git->edges[git->nodes[index].parent_start + i];
			if ((git->nodes[index].flags & NODE_UNINTERESTING) &&
			    walk_mark_uninteresting(git, &ws, parent, err) < 0)
				goto out;
			if (walk_enqueue(git, &ws, parent, err) < 0)
				goto out;
		}
	}
	for (i = 0; i < ws.queue.count; i++)
		git->nodes[ws.queue.items[i]].flags &= (uint8_t)~NODE_QUEUED;
	rc = 0;
out:
	free(ws.queue.items);
	free(ws.stack);
	return rc;
}

static bool node_selected(const struct walk_node *node)
{
	return (node->flags & (NODE_DONE | NODE_UNINTERESTING)) == NODE_DONE;
}

/* Orders the selected commits so that parents come before children, older
 * commits first among those ready, like git's --topo-order --reverse. */
static int walk_sort(struct guard_git *git, struct guard_error *err)
{
	struct date_queue ready = { NULL, 0, 0, false };
	uint32_t *pending = NULL, *child_start = NULL, *fill = NULL, *children = NULL;
	size_t n = git->node_count, i, j;
	uint32_t index, parent;
	int rc = -1;

	pending = calloc(n + 1, sizeof(*pending));
	child_start = calloc(n + 2, sizeof(*child_start));
	fill = calloc(n + 1, sizeof(*fill));
	children = malloc((git->edge_count + 1) * sizeof(*children));
	git->order = malloc((n + 1) * sizeof(*git->order));
	if (!pending || !child_start || !fill || !children || !git->order) {
		guard_error_oom(err);
		goto out;
	}

	/* Children lists in compressed form: child_start[p] to child_start[p + 1]. */
	for (i = 0; i < n; i++) {
		if (!node_selected(&git->nodes[i]))
			continue;
		for (j = 0; j < git->nodes[i].parent_count; j++) {
			parent = git->edges[git->nodes[i].parent_start + j];
			if (node_selected(&git->nodes[parent])) {
				pending[i]++;
				child_start[parent + 1]++;
			}
		}
	}
	for (i = 0; i < n; i++)
		child_start[i + 1] += child_start[i];
	for (i = 0; i < n; i++) {
		if (!node_selected(&git->nodes[i]))
			continue;
		for (j = 0; j < git->nodes[i].parent_count; j++) {
			parent = git->edges[git->nodes[i].parent_start + j];
			if (node_selected(&git->nodes[parent]))
				children[child_start[parent] + fill[parent]++] = (uint32_t)i;
		}
	}

	for (i = 0; i < n; i++)
		if (node_selected(&git->nodes[i]) && pending[i] == 0 &&
		    queue_push(git, &ready, (uint32_t)i, err) < 0)
			goto out;
	while (ready.count) {
		index = queue_pop(git, &ready);
		git->order[git->order_count++] = index;
		for (j = child_start[index]; j < child_start[index + 1]; j++)
			if (--pending[children[j]] == 0 && queue_push(git, &ready, children[j], err) < 0)
				goto out;
	}
	rc = 0;
out:
	free(pending);
	free(child_start);
	free(fill);
	free(children);
	free(ready.items);
	return rc;
}

/* True for files and symbolic links. Any regular-file mode counts: git
 * before 1.0 wrote modes such as 100664, and git reads them as files. */
static bool mode_is_blob(uint16_t mode)
{
	return (mode & 0170000) == 0100000 || (mode & 0170000) == 0120000;
}

static int push_ancestor(struct guard_git *git, const git_oid *oid, uint32_t path,
			 struct guard_error *err)
{
	uint32_t blob;

	if (blob_get(git, oid, path, &blob, err) < 0 ||
	    guard_git_grow((void **)&git->ancestors, &git->anc_cap, git->anc_count,
			   sizeof(*git->ancestors), err) < 0)
		return -1;
	git->ancestors[git->anc_count++] = blob;
	return 0;
}

/* The comparison of one commit (or of the index): the changes against the
 * first parent, and the root trees of the other parents of a merge. */
struct plan_input {
	uint32_t commit;		/* node index or WALK_NONE */
	const struct guard_git_changes *changes;
	const uint32_t *others;		/* node indices of the other parents */
	size_t other_count;
};

/* True when another merge parent has exactly this content at path. */
static int taken_from_other_parent(const struct plan_input *in,
				   const struct guard_git_change *delta,
				   bool *from_other_parent, struct guard_git *git, uint32_t path,
				   struct guard_error *err)
{
	git_oid id;
	uint16_t mode;
	bool found;
	size_t k;

	*from_other_parent = false;
	for (k = 0; k < in->other_count; k++) {
		if (guard_git_tree_find(&git->trees, &git->nodes[in->others[k]].tree, delta->path,
					&found, &mode, &id, err) < 0)
			return guard_error_prefix(err, "reading a merge parent's tree");
		if (!found)
			continue;
		if (git_oid_equal(&id, &delta->new_id)) {
			*from_other_parent = true;
			return 0;
		}
		if (mode_is_blob(mode) && push_ancestor(git, &id, path, err) < 0)
			return -1;
	}
	return 0;
}

/* Adds an introduction for each path whose content the diff adds. */
static int plan_diff(struct guard_git *git, const struct plan_input *in, struct guard_error *err)
{
	size_t i, count = in->changes->count;
	uint32_t deleted_start = (uint32_t)git->anc_count, deleted_count, path, blob, anc_start;
	const struct guard_git_change *delta;
	struct walk_intro *intro;
	uint32_t stamp = ++git->diff_stamp;
	bool from_other_parent;
	int added;

	/* The blobs this commit deletes: a path it adds may be a rename of one. */
	for (i = 0; i < count; i++) {
		delta = &in->changes->items[i];
		if (delta->status != GIT_DELTA_DELETED || !mode_is_blob(delta->old_mode))
			continue;
		if (path_intern(git, delta->path, &path, err) < 0 ||
		    push_ancestor(git, &delta->old_id, path, err) < 0)
			return -1;
		git->blobs[git->ancestors[git->anc_count - 1]].deleted_stamp = stamp;
	}
	deleted_count = (uint32_t)git->anc_count - deleted_start;

	for (i = 0; i < count; i++) {
		delta = &in->changes->items[i];
		if (delta->status != GIT_DELTA_ADDED && delta->status != GIT_DELTA_MODIFIED &&
		    delta->status != GIT_DELTA_TYPECHANGE)
			continue;
		if (!mode_is_blob(delta->new_mode))
			continue;	/* submodule commits are scanned in their own repository */
		if (path_intern(git, delta->path, &path, err) < 0 ||
		    blob_get(git, &delta->new_id, path, &blob, err) < 0)
			return -1;

		/* A file moved unchanged: the same content left another path. */
		if (delta->status == GIT_DELTA_ADDED && git->blobs[blob].deleted_stamp == stamp)
			continue;

		anc_start = (uint32_t)git->anc_count;
		if (delta->status != GIT_DELTA_ADDED && mode_is_blob(delta->old_mode) &&
		    push_ancestor(git, &delta->old_id, path, err) < 0)
			return -1;
		if (taken_from_other_parent(in, delta, &from_other_parent, git, path, err) < 0)
			return -1;
		if (from_other_parent) {
			git->anc_count = anc_start;
			continue;
		}

		added = u64_set_add(&git->seen_pairs, ((uint64_t)blob << 32) | path, err);
		if (added < 0)
			return -1;
		if (!added) {
			git->anc_count = anc_start;
			continue;
		}
		if (guard_git_grow((void **)&git->intros, &git->intro_cap, git->intro_count,
				   sizeof(*git->intros), err) < 0)
			return -1;
		intro = &git->intros[git->intro_count++];
		intro->commit = in->commit;
		intro->path = path;
		intro->blob = blob;
		intro->anc_start = anc_start;
		intro->anc_count = (uint32_t)git->anc_count - anc_start;
		if (intro->anc_count == 0) {
			intro->anc_start = deleted_start;
			intro->anc_count = deleted_count;
		}
		if (!git->blobs[blob].introduced) {
			git->blobs[blob].introduced = true;
			if (git->on_blob && !git->blobs[blob].listed &&
			    git->on_blob(git->on_blob_ctx, blob, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int plan_commit(struct guard_git *git, uint32_t index, struct guard_error *err)
{
	const struct walk_node *node = &git->nodes[index];
	struct plan_input in = { index, &git->changes, NULL, 0 };

	if (node->flags & NODE_SHALLOW)
		git->shallow_hit = true;
	if (node->parent_count > 1) {
		in.others = &git->edges[node->parent_start + 1];
		in.other_count = node->parent_count - 1;
	}
	guard_git_changes_clear(&git->changes);
	if (guard_git_diff_trees(&git->trees,
				 node->parent_count ? &git->nodes[git->edges[node->parent_start]].tree : NULL,
				 &node->tree, &git->changes, err) < 0)
		return -1;
	return plan_diff(git, &in, err);
}

static int plan_staged(struct guard_git *git, struct guard_error *err)
{
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	struct plan_input in = { WALK_NONE, &git->changes, NULL, 0 };
	git_diff *diff = NULL;
	git_object *head = NULL;
	git_tree *tree = NULL;
	git_index *index = NULL;
	int rc = -1, found;

	found = git_revparse_single(&head, git->repo, "HEAD^{tree}");
	if (found == 0)
		tree = (git_tree *)head;
	else if (found != GIT_ENOTFOUND && !git_repository_head_unborn(git->repo))
		return guard_git_error(err, GUARD_ERR_IO, "reading HEAD");

	if (git_repository_index(&index, git->repo) < 0) {
		guard_git_error(err, GUARD_ERR_IO, "reading the index");
		goto out;
	}
	opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
	if (git_diff_tree_to_index(&diff, git->repo, tree, index, &opts) < 0) {
		guard_git_error(err, GUARD_ERR_IO, "comparing the index with HEAD");
		goto out;
	}
	guard_git_changes_clear(&git->changes);
	if (guard_git_changes_from_diff(diff, &git->changes, err) < 0)
		goto out;
	rc = plan_diff(git, &in, err);
out:
	git_diff_free(diff);
	git_index_free(index);
	git_object_free(head);
	return rc;
}

int guard_git_plan(struct guard_git *git, struct guard_error *err)
{
	size_t i;

	git->started_ms = guard_now_ms();
	if (git->staged) {
		if (git_repository_is_bare(git->repo))
			return guard_error_set(err, GUARD_ERR_USAGE,
					       "--staged needs a work tree, but this repository is bare");
		if (plan_staged(git, err) < 0)
			return -1;
	} else {
		if (walk_limit(git, err) < 0 || walk_sort(git, err) < 0)
			return -1;
		for (i = 0; i < git->order_count; i++) {
			if (plan_commit(git, git->order[i], err) < 0)
				return -1;
			if ((i + 1) % 1024 == 0)
				guard_log_progress("reading commits: %zu of %zu", i + 1,
						   git->order_count);
		}
	}
	git->planned = true;
	git->counts.commits = git->order_count;
	git->counts.introductions = git->intro_count;
	git->counts.shallow = git->shallow_hit;
	for (i = 0; i < git->blob_count; i++)
		if (git->blobs[i].introduced)
			git->counts.blobs++;
	return 0;
}

int guard_git_plan_foreach(struct guard_git *git, guard_git_intro_fn fn, void *ctx)
{
	char commit[GIT_OID_HEXSZ + 1], blob[GIT_OID_HEXSZ + 1];
	const struct walk_intro *intro;
	size_t i;
	int rc;

	for (i = 0; i < git->intro_count; i++) {
		intro = &git->intros[i];
		if (intro->commit != WALK_NONE)
			git_oid_tostr(commit, sizeof(commit), &git->nodes[intro->commit].oid);
		git_oid_tostr(blob, sizeof(blob), &git->blobs[intro->blob].oid);
		rc = fn(intro->commit != WALK_NONE ? commit : NULL, git->paths[intro->path], blob, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

void guard_git_get_counts(const struct guard_git *git, struct guard_git_counts *counts)
{
	*counts = git->counts;
}

int guard_git_scan_option_max_blob_size(struct guard_git_scan_options *options, const char *arg,
					struct guard_error *err)
{
	uint64_t value;

	if (guard_parse_size(arg, &value, "--max-blob-size", err) < 0)
		return -1;
	if (value == 0)
		return guard_error_set(err, GUARD_ERR_USAGE,
				       "invalid --max-blob-size '%s': must be above 0", arg);
	options->max_blob_size = value;
	return 0;
}

int guard_git_scan_option_jobs(struct guard_git_scan_options *options, const char *arg,
			       struct guard_error *err)
{
	uint64_t value;

	if (guard_parse_u64(arg, 1, 64, &value, "--jobs", err) < 0)
		return -1;
	options->jobs = (unsigned)value;
	return 0;
}
