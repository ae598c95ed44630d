#include "image_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "image_path.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"
#define AUFS_HARDLINKS ".wh..wh.plnk/"
#define BINARY_PROBE 8192

/* ---- a small string hash set (paths of watched files and their folders) ---- */

struct path_set {
	char **slots;
	size_t cap;
	size_t count;
};

static uint64_t hash_path(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static bool set_has(const struct path_set *set, const char *s, size_t len)
{
	size_t i;

	if (!set->cap)
		return false;
	for (i = hash_path(s, len) & (set->cap - 1); set->slots[i]; i = (i + 1) & (set->cap - 1))
		if (strlen(set->slots[i]) == len && memcmp(set->slots[i], s, len) == 0)
			return true;
	return false;
}

static int set_add(struct path_set *set, const char *s, size_t len, struct guard_error *err);

static int set_grow(struct path_set *set, struct guard_error *err)
{
	struct path_set bigger = { 0 };
	size_t i;

	bigger.cap = set->cap ? set->cap * 2 : 64;
	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return guard_error_oom(err);
	for (i = 0; i < set->cap; i++) {
		if (set->slots[i]) {
			size_t j = hash_path(set->slots[i], strlen(set->slots[i])) & (bigger.cap - 1);

			while (bigger.slots[j])
				j = (j + 1) & (bigger.cap - 1);
			bigger.slots[j] = set->slots[i];
			bigger.count++;
		}
	}
	free(set->slots);
	*set = bigger;
	return 0;
}

static int set_add(struct path_set *set, const char *s, size_t len, struct guard_error *err)
{
	size_t i;

	if (set_has(set, s, len))
		return 0;
	if ((set->count + 1) * 2 > set->cap && set_grow(set, err) < 0)
		return -1;
	i = hash_path(s, len) & (set->cap - 1);
	while (set->slots[i])
		i = (i + 1) & (set->cap - 1);
	set->slots[i] = guard_strndup(s, len, err);
	if (!set->slots[i])
		return -1;
	set->count++;
	return 0;
}

static void set_release(struct path_set *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* ---- removal tracking ---- */

struct watched_file {
	char *path;
	int layer_index;
	int watch_id;
	bool removed;
};

struct guard_removal_tracker {
	struct watched_file *files;
	size_t count;
	size_t cap;
	struct path_set paths;		/* watched paths */
	struct path_set folders;	/* every folder above a watched path, and "" */
	guard_removed_fn removed;
	void *ctx;
};

int guard_removal_tracker_new(struct guard_removal_tracker **out, guard_removed_fn removed,
			      void *ctx, struct guard_error *err)
{
	struct guard_removal_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return guard_error_oom(err);
	t->removed = removed;
	t->ctx = ctx;
	*out = t;
	return 0;
}

void guard_removal_tracker_free(struct guard_removal_tracker *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->count; i++)
		free(t->files[i].path);
	free(t->files);
	set_release(&t->paths);
	set_release(&t->folders);
	free(t);
}

static int tracker_watch(struct guard_removal_tracker *t, const char *path, int layer_index,
			 int watch_id, struct guard_error *err)
{
	const char *slash;

	if (t->count == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		struct watched_file *grown = realloc(t->files, ncap * sizeof(*grown));

		if (!grown)
			return guard_error_oom(err);
		t->files = grown;
		t->cap = ncap;
	}
	t->files[t->count].path = guard_strdup(path, err);
	if (!t->files[t->count].path)
		return -1;
	t->files[t->count].layer_index = layer_index;
	t->files[t->count].watch_id = watch_id;
	t->files[t->count].removed = false;
	t->count++;

	if (set_add(&t->paths, path, strlen(path), err) < 0 || set_add(&t->folders, "", 0, err) < 0)
		return -1;
	for (slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/'))
		if (set_add(&t->folders, path, (size_t)(slash - path), err) < 0)
			return -1;
	return 0;
}

enum change {
	CHANGE_FILE,		/* a non-folder entry: replaces the path and anything below */
	CHANGE_FOLDER,		/* a folder entry: replaces only a file at that path */
	CHANGE_WHITEOUT,	/* deletes the path and anything below */
	CHANGE_OPAQUE,		/* hides what lower layers had below the folder */
};

static bool path_matches(const char *watched, const char *path, size_t len, enum change change)
{
	bool same = strlen(watched) == len && memcmp(watched, path, len) == 0;
	bool below = len == 0 || (strncmp(watched, path, len) == 0 && watched[len] == '/');

	switch (change) {
	case CHANGE_FOLDER:
		return same;
	case CHANGE_OPAQUE:
		return below;
	default:
		return same || below;
	}
}

/* Marks watched files of lower layers that this change removes. */
static void tracker_apply(struct guard_removal_tracker *t, int layer_index, const char *path,
			  size_t len, enum change change)
{
	bool exact, folder;
	size_t i;

	if (!t || !t->count)
		return;
	exact = change != CHANGE_OPAQUE && set_has(&t->paths, path, len);
	folder = change != CHANGE_FOLDER && set_has(&t->folders, path, len);
	if (!exact && !folder)
		return;
	for (i = 0; i < t->count; i++) {
		struct watched_file *w = &t->files[i];

		if (w->removed || w->layer_index >= layer_index)
			continue;
		if (path_matches(w->path, path, len, change)) {
			w->removed = true;
			t->removed(t->ctx, w->watch_id, layer_index);
		}
	}
}

/* ---- layer streaming ---- */

struct layer_walk {
	struct guard_blob_reader *reader;
	struct guard_error read_error;
	bool read_failed;
};

static la_ssize_t walk_read(struct archive *a, void *ctx, const void **buf)
{
	struct layer_walk *w = ctx;
	ssize_t n = guard_blob_reader_read(w->reader, buf, &w->read_error);

	if (n < 0) {
		w->read_failed = true;
		archive_set_error(a, EIO, "%s", w->read_error.message);
		return -1;
	}
	return n;
}

/* Reports a whiteout or opaque marker; returns true when the entry was one. */
static bool apply_whiteout(struct guard_removal_tracker *t, int layer_index, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t dir_len = base ? (size_t)(base - path) : 0;
	struct guard_buf target = GUARD_BUF_INIT(1 << 20);

	base = base ? base + 1 : path;
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) != 0)
		return false;
	if (strcmp(base, OPAQUE_MARKER) == 0) {
		tracker_apply(t, layer_index, path, dir_len, CHANGE_OPAQUE);
		return true;
	}
	/* Other ".wh..wh." names are AUFS metadata, and ".wh." alone is invalid. */
	if (strncmp(base, ".wh..wh.", 8) == 0 || base[strlen(WHITEOUT_PREFIX)] == '\0')
		return true;
	if (dir_len)
		guard_buf_append(&target, path, dir_len + 1, NULL);
	guard_buf_puts(&target, base + strlen(WHITEOUT_PREFIX), NULL);
	if (target.data)
		tracker_apply(t, layer_index, target.data, target.len, CHANGE_WHITEOUT);
	guard_buf_release(&target);
	return true;
}

static bool looks_binary(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff)))
		return false;	/* UTF-16 with a byte order mark */
	return memchr(data, 0, len < BINARY_PROBE ? len : BINARY_PROBE) != NULL;
}

/* Reads the current entry's data (up to the file cap) into buf. */
static int read_file(struct archive *a, struct archive_entry *entry, size_t max_file,
		     struct guard_buf *buf, struct guard_layer_file *file, struct guard_error *err)
{
	int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
	size_t want = size > 0 && (uint64_t)size < max_file ? (size_t)size : max_file;
	la_ssize_t n;

	file->size = size > 0 ? (uint64_t)size : 0;
	if ((uint64_t)file->size > max_file)
		want = BINARY_PROBE < max_file ? BINARY_PROBE : max_file;
	guard_buf_truncate(buf, 0);
	if (guard_buf_reserve(buf, want + 1, err) < 0)
		return -1;
	while (buf->len < want) {
		n = archive_read_data(a, buf->data + buf->len, want - buf->len);
		if (n < 0)
			return guard_error_set(err, GUARD_ERR_PARSE, "%s", archive_error_string(a));
		if (n == 0)
			break;
		buf->len += (size_t)n;
	}
	if (file->size > max_file) {
		file->binary = looks_binary(buf->data, buf->len);
		file->truncated = true;
		while (!file->binary && buf->len < max_file) {
			size_t room = max_file - buf->len;

			if (guard_buf_reserve(buf, room + 1, err) < 0)
				return -1;
			n = archive_read_data(a, buf->data + buf->len, room);
			if (n < 0)
				return guard_error_set(err, GUARD_ERR_PARSE, "%s",
						       archive_error_string(a));
			if (n == 0)
				break;
			buf->len += (size_t)n;
		}
	}
	buf->data[buf->len] = '\0';
	file->data = buf->data;
	file->len = buf->len;
	return 0;
}

struct entry_ctx {
	struct archive *archive;
	const struct guard_layer_limits *limits;
	struct guard_removal_tracker *tracker;
	int layer_index;
	guard_layer_file_fn fn;
	void *fn_ctx;
	struct guard_buf buf;
	struct guard_buf link;
};

/* Handles one tar entry. Returns 0, -1 (layer error) or -2 (callback error). */
static int walk_entry(struct entry_ctx *c, struct archive_entry *entry, char *path,
		      struct guard_error *err)
{
	struct guard_layer_file file = { 0 };
	const char *hardlink = archive_entry_hardlink(entry);
	mode_t type = archive_entry_filetype(entry);
	int watch_id = -1;

	if (apply_whiteout(c->tracker, c->layer_index, path) &&
	    !(guard_has_prefix(path, AUFS_HARDLINKS) && type == AE_IFREG))
		return 0;
	tracker_apply(c->tracker, c->layer_index, path, strlen(path),
		      type == AE_IFDIR ? CHANGE_FOLDER : CHANGE_FILE);
	if (path[0] == '\0')
		return 0;

	file.path = path;
	if (hardlink) {
		guard_buf_truncate(&c->link, 0);
		if (guard_buf_puts(&c->link, hardlink, err) < 0)
			return -1;
		guard_image_path_clean(c->link.data);
		file.link_target = c->link.data;
	} else if (type == AE_IFREG) {
		if (read_file(c->archive, entry, c->limits->max_file, &c->buf, &file, err) < 0)
			return -1;
	} else {
		return 0;
	}
	if (c->fn(c->fn_ctx, &file, &watch_id, err) < 0)
		return -2;
	if (watch_id >= 0 && c->tracker &&
	    tracker_watch(c->tracker, path, c->layer_index, watch_id, err) < 0)
		return -2;
	return 0;
}

/* True, with err set, when more decompressed bytes than --max-layer-size
 * allows have been read. */
static bool over_size_limit(struct entry_ctx *c, struct guard_error *err)
{
	if ((uint64_t)archive_filter_bytes(c->archive, 0) <= c->limits->max_bytes)
		return false;
	guard_error_set(err, GUARD_ERR_LIMIT,
			"more than %llu decompressed bytes (the --max-layer-size limit)",
			(unsigned long long)c->limits->max_bytes);
	return true;
}

static int walk_entries(struct entry_ctx *c, struct layer_walk *w, struct guard_error *err)
{
	struct archive_entry *entry;
	uint64_t entries = 0;
	int rc;

	while ((rc = archive_read_next_header(c->archive, &entry)) == ARCHIVE_OK ||
	       rc == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry);
		char *path;
		int status;

		if (++entries > c->limits->max_entries)
			return guard_error_set(err, GUARD_ERR_LIMIT,
					       "more than %llu entries (the --max-layer-entries limit)",
					       (unsigned long long)c->limits->max_entries);
		if (over_size_limit(c, err))
			return -1;
		if (!name)
			continue;
		path = guard_strdup(name, err);
		if (!path)
			return -2;
		guard_image_path_clean(path);
		status = walk_entry(c, entry, path, err);
		free(path);
		if (status < 0)
			return status;
	}
	if (rc != ARCHIVE_EOF) {
		if (w->read_failed)
			guard_error_copy(err, &w->read_error);
		else
			guard_error_set(err, GUARD_ERR_PARSE, "%s",
					archive_error_string(c->archive));
		return -1;
	}
	/* The last entry's data is only counted once the end is reached. */
	return over_size_limit(c, err) ? -1 : 0;
}

int guard_layer_walk(struct guard_blob_reader *reader, int layer_index,
		     const struct guard_layer_limits *limits,
		     struct guard_removal_tracker *tracker, guard_layer_file_fn fn, void *ctx,
		     struct guard_error *err)
{
	struct layer_walk w = { reader, GUARD_ERROR_INIT, false };
	struct entry_ctx c = { 0 };
	int rc;

	c.archive = archive_read_new();
	if (!c.archive)
		return guard_error_oom(err) - 1;
	c.limits = limits;
	c.tracker = tracker;
	c.layer_index = layer_index;
	c.fn = fn;
	c.fn_ctx = ctx;
	guard_buf_init(&c.buf, limits->max_file + 1);
	guard_buf_init(&c.link, 1 << 16);

	archive_read_support_filter_all(c.archive);
	archive_read_support_format_tar(c.archive);
	archive_read_support_format_empty(c.archive);
	if (archive_read_open(c.archive, &w, NULL, walk_read, NULL) != ARCHIVE_OK) {
		if (w.read_failed)
			guard_error_copy(err, &w.read_error);
		else
			guard_error_set(err, GUARD_ERR_PARSE, "%s",
					archive_error_string(c.archive));
		rc = -1;
	} else {
		rc = walk_entries(&c, &w, err);
	}
	if (rc == 0 && guard_blob_reader_finish(reader, err) < 0)
		rc = -1;
	archive_read_free(c.archive);
	guard_buf_release(&c.buf);
	guard_buf_release(&c.link);
	return rc;
}
