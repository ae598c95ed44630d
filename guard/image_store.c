#include "image_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_path.h"
#include "util.h"

#define BLOB_CHUNK (128 * 1024)

/* ---- OCI layout folder ---- */

struct file_source {
	int fd;
	unsigned char buf[BLOB_CHUNK];
};

static ssize_t file_read(void *impl, const void **data, struct guard_error *err)
{
	struct file_source *f = impl;
	ssize_t n;

	do
		n = read(f->fd, f->buf, sizeof(f->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return guard_error_set(err, GUARD_ERR_IO, "%s", strerror(errno));
	*data = f->buf;
	return n;
}

static void file_close(void *impl)
{
	struct file_source *f = impl;

	if (f) {
		close(f->fd);
		free(f);
	}
}

char *guard_blob_path(const char *digest, struct guard_error *err)
{
	const char *colon = strchr(digest, ':');
	struct guard_buf path = GUARD_BUF_INIT(512);

	if (!colon || !guard_digest_valid(digest)) {
		guard_error_set(err, GUARD_ERR_PARSE, "invalid digest '%s'", digest);
		return NULL;
	}
	if (guard_buf_printf(&path, err, "blobs/%.*s/%s", (int)(colon - digest), digest,
			     colon + 1) < 0)
		return NULL;
	return guard_buf_detach(&path, NULL);
}

/* A key is a digest or a relative path without "..". */
static char *key_to_path(const char *key, struct guard_error *err)
{
	char *path;

	if (strncmp(key, "sha256:", 7) == 0 || strncmp(key, "sha512:", 7) == 0)
		return guard_blob_path(key, err);
	path = guard_strdup(key, err);
	if (!path)
		return NULL;
	guard_image_path_clean(path);
	if (!guard_image_path_is_safe(path)) {
		guard_error_set(err, GUARD_ERR_PARSE, "unsafe path '%s' in the image", key);
		free(path);
		return NULL;
	}
	return path;
}

static int dir_open(void *impl, const char *key, struct guard_blob_source *out,
		    struct guard_error *err)
{
	struct file_source *f;
	char *rel, *full;
	int fd;

	rel = key_to_path(key, err);
	if (!rel)
		return -1;
	full = guard_path_join(impl, rel);
	free(rel);
	if (!full)
		return guard_error_oom(err);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		/* NOTFOUND lets the walk skip optional blobs; guard_image_walk turns a
		 * failure that keeps it into a parse error. */
		guard_error_set(err, saved == ENOENT ? GUARD_ERR_NOTFOUND : GUARD_ERR_IO,
				"cannot open '%s': %s%s", full, strerror(saved),
				saved == ENOENT
					? " (the layout lacks this file, so copy the image into it again)"
					: "");
		free(full);
		return -1;
	}
	free(full);
	f = malloc(sizeof(*f));
	if (!f) {
		close(fd);
		return guard_error_oom(err);
	}
	f->fd = fd;
	out->read = file_read;
	out->close = file_close;
	out->impl = f;
	return 0;
}

int guard_image_store_open_dir(struct guard_image_store *store, const char *dir,
			       struct guard_error *err)
{
	struct stat st;
	char *layout;

	memset(store, 0, sizeof(*store));
	layout = guard_path_join(dir, "oci-layout");
	if (!layout)
		return guard_error_oom(err);
	if (stat(dir, &st) != 0) {
		int saved = errno;

		free(layout);
		return guard_error_set(err, GUARD_ERR_IO,
				       "cannot open OCI image layout '%s': %s (check the path; oci:DIR[:REF] names a folder with an oci-layout file)",
				       dir, strerror(saved));
	}
	if (!S_ISDIR(st.st_mode)) {
		free(layout);
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "cannot open OCI image layout '%s': not a folder (name a tar archive as oci-archive:%s or docker-archive:%s)",
				       dir, dir, dir);
	}
	if (access(layout, R_OK) != 0) {
		guard_error_set(err, errno == ENOENT ? GUARD_ERR_PARSE : GUARD_ERR_IO,
				"cannot open OCI image layout '%s': cannot read its oci-layout file: %s (write the layout with 'skopeo copy' or 'umoci init')",
				dir, strerror(errno));
		free(layout);
		return -1;
	}
	free(layout);
	store->impl = guard_strdup(dir, err);
	if (!store->impl)
		return -1;
	store->open = dir_open;
	store->free = free;
	store->corrupt_class = GUARD_ERR_PARSE;
	store->has_index = true;
	return 0;
}

/* ---- tar archive ---- */

struct tar_entry {
	char *name;
	char *link;		/* symlink target, or NULL */
	uint64_t ordinal;	/* position among the archive's headers */
	bool regular;
};

struct tar_store {
	char *path;
	struct tar_entry *entries;
	size_t count;
};

struct tar_source {
	struct archive *archive;
	unsigned char buf[BLOB_CHUNK];
};

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct tar_entry *)a)->name, ((const struct tar_entry *)b)->name);
}

static struct archive *tar_reader_open(const char *path, struct guard_error *err)
{
	struct archive *a = archive_read_new();

	if (!a) {
		guard_error_oom(err);
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, BLOB_CHUNK) != ARCHIVE_OK) {
		guard_error_set(err, GUARD_ERR_PARSE,
				"cannot read archive '%s': not a tar archive (%s); write one with 'docker save -o FILE' or 'skopeo copy ... oci-archive:FILE'",
				path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static void tar_store_free(void *impl)
{
	struct tar_store *t = impl;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->count; i++) {
		free(t->entries[i].name);
		free(t->entries[i].link);
	}
	free(t->entries);
	free(t->path);
	free(t);
}

static int tar_add_entry(struct tar_store *t, struct archive_entry *entry, uint64_t ordinal,
			 size_t *cap, struct guard_error *err)
{
	struct tar_entry *e;
	const char *name = archive_entry_pathname(entry);
	const char *link = archive_entry_symlink(entry);

	if (!name)
		return 0;
	if (t->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct tar_entry *grown = realloc(t->entries, ncap * sizeof(*grown));

		if (!grown)
			return guard_error_oom(err);
		t->entries = grown;
		*cap = ncap;
	}
	e = &t->entries[t->count];
	memset(e, 0, sizeof(*e));
	e->name = guard_strdup(name, err);
	if (!e->name)
		return -1;
	guard_image_path_clean(e->name);
	if (link && archive_entry_filetype(entry) == AE_IFLNK) {
		e->link = guard_strdup(link, err);
		if (!e->link) {
			free(e->name);
			return -1;
		}
	}
	e->ordinal = ordinal;
	e->regular = archive_entry_filetype(entry) == AE_IFREG &&
		     !archive_entry_hardlink(entry);
	t->count++;
	return 0;
}

static const struct tar_entry *tar_find(const struct tar_store *t, const char *name)
{
	struct tar_entry key = { 0 };

	key.name = (char *)name;
	return bsearch(&key, t->entries, t->count, sizeof(*t->entries), compare_entries);
}

/* A repeated docker save layer is a symlink to "../<id>/layer.tar". One
 * level of symlink is resolved, as containers/image does. */
static const struct tar_entry *tar_resolve(const struct tar_store *t, const char *name,
					   struct guard_error *err)
{
	const struct tar_entry *e = tar_find(t, name);
	struct guard_buf target = GUARD_BUF_INIT(4096);
	const char *slash;

	if (!e) {
		guard_error_set(err, GUARD_ERR_NOTFOUND,
				"cannot find '%s' in archive '%s' (the archive lacks this file, so save the image again)",
				name, t->path);
		return NULL;
	}
	if (e->regular)
		return e;
	if (!e->link) {
		guard_error_set(err, GUARD_ERR_PARSE, "'%s' in the archive is not a file", name);
		return NULL;
	}
	slash = strrchr(e->name, '/');
	if (e->link[0] != '/' && slash)
		guard_buf_append(&target, e->name, (size_t)(slash - e->name + 1), err);
	if (guard_buf_puts(&target, e->link, err) < 0) {
		guard_buf_release(&target);
		return NULL;
	}
	guard_image_path_clean(target.data);
	e = tar_find(t, target.data);
	if (!e || !e->regular) {
		guard_error_set(err, GUARD_ERR_PARSE,
				"'%s' in the archive links to '%s', which is not a file in it", name,
				target.data);
		e = NULL;
	}
	guard_buf_release(&target);
	return e;
}

static ssize_t tar_read(void *impl, const void **data, struct guard_error *err)
{
	struct tar_source *s = impl;
	la_ssize_t n = archive_read_data(s->archive, s->buf, sizeof(s->buf));

	if (n < 0)
		return guard_error_set(err, GUARD_ERR_PARSE, "%s",
				       archive_error_string(s->archive));
	*data = s->buf;
	return n;
}

static void tar_close(void *impl)
{
	struct tar_source *s = impl;

	if (s) {
		archive_read_free(s->archive);
		free(s);
	}
}

static int tar_open(void *impl, const char *key, struct guard_blob_source *out,
		    struct guard_error *err)
{
	struct tar_store *t = impl;
	const struct tar_entry *e;
	struct archive_entry *entry;
	struct tar_source *s;
	uint64_t ordinal = 0;
	char *name;
	int rc;

	name = key_to_path(key, err);
	if (!name)
		return -1;
	e = tar_resolve(t, name, err);
	free(name);
	if (!e)
		return -1;
	s = malloc(sizeof(*s));
	if (!s)
		return guard_error_oom(err);
	s->archive = tar_reader_open(t->path, err);
	if (!s->archive) {
		free(s);
		return -1;
	}
	while ((rc = archive_read_next_header(s->archive, &entry)) == ARCHIVE_OK ||
	       rc == ARCHIVE_WARN) {
		if (ordinal++ == e->ordinal) {
			out->read = tar_read;
			out->close = tar_close;
			out->impl = s;
			return 0;
		}
	}
	guard_error_set(err, GUARD_ERR_PARSE, "archive '%s' changed while it was read: %s",
			t->path, archive_error_string(s->archive));
	tar_close(s);
	return -1;
}

/* Reports a missing or unreadable file with its errno before libarchive, whose
 * own message for it is only "Failed to open". */
static int check_archive_file(const char *path, struct guard_error *err)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return guard_error_set(err, GUARD_ERR_PARSE,
				       "cannot read archive '%s': it is a folder (name an OCI image layout folder as oci:%s)",
				       path, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return guard_error_set(err, GUARD_ERR_IO,
				       "cannot open archive '%s': %s (check the path and its permissions)",
				       path, strerror(errno));
	close(fd);
	return 0;
}

int guard_image_store_open_tar(struct guard_image_store *store, const char *path,
			       uint64_t max_entries, struct guard_error *err)
{
	struct archive_entry *entry;
	struct tar_store *t;
	struct archive *a;
	uint64_t ordinal = 0;
	size_t cap = 0;
	int rc;

	memset(store, 0, sizeof(*store));
	t = calloc(1, sizeof(*t));
	if (!t)
		return guard_error_oom(err);
	t->path = guard_strdup(path, err);
	a = t->path && check_archive_file(path, err) == 0 ? tar_reader_open(path, err) : NULL;
	if (!a) {
		tar_store_free(t);
		return -1;
	}
	while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		if (ordinal >= max_entries) {
			guard_error_set(err, GUARD_ERR_LIMIT,
					"archive '%s' has more than %llu entries", path,
					(unsigned long long)max_entries);
			goto fail;
		}
		if (tar_add_entry(t, entry, ordinal++, &cap, err) < 0)
			goto fail;
	}
	if (rc != ARCHIVE_EOF) {
		guard_error_set(err, GUARD_ERR_PARSE, "cannot read archive '%s': %s", path,
				archive_error_string(a));
		goto fail;
	}
	archive_read_free(a);
	if (t->count)
		qsort(t->entries, t->count, sizeof(*t->entries), compare_entries);

	store->open = tar_open;
	store->free = tar_store_free;
	store->impl = t;
	store->corrupt_class = GUARD_ERR_PARSE;
	store->has_index = tar_find(t, "index.json") != NULL;
	store->has_docker_manifest = tar_find(t, "manifest.json") != NULL;
	return 0;

fail:
	archive_read_free(a);
	tar_store_free(t);
	return -1;
}

void guard_image_store_release(struct guard_image_store *store)
{
	if (store && store->free)
		store->free(store->impl);
	if (store)
		memset(store, 0, sizeof(*store));
}

/* ---- verified reader ---- */

struct guard_blob_reader {
	struct guard_blob_source source;
	struct guard_sha256 sha;
	char expect[GUARD_DIGEST_MAX];
	char key[256];
	int64_t expect_size;
	uint64_t offset;
	enum guard_error_code corrupt_class;
	bool verify;
	bool skip_compressed;
	bool ended;
	bool failed;			/* a later read repeats the end check's error */
	struct guard_error failure;
};

int guard_blob_reader_open(struct guard_blob_reader **out, struct guard_image_store *store,
			   const char *key, const char *expect_digest, int64_t expect_size,
			   bool skip_compressed, struct guard_error *err)
{
	struct guard_blob_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return guard_error_oom(err);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->expect_size = expect_size;
	r->corrupt_class = store->corrupt_class;
	r->skip_compressed = skip_compressed;
	if (expect_digest) {
		if (!guard_digest_is_sha256(expect_digest)) {
			free(r);
			return guard_error_set(err, GUARD_ERR_PARSE,
					       "unsupported digest '%s' (only sha256 is supported)",
					       expect_digest);
		}
		snprintf(r->expect, sizeof(r->expect), "%s", expect_digest);
		if (guard_sha256_init(&r->sha, err) < 0) {
			free(r);
			return -1;
		}
		r->verify = true;
	}
	if (store->open(store->impl, key, &r->source, err) < 0) {
		if (r->verify)
			guard_sha256_release(&r->sha);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static bool is_compressed(const unsigned char *p, size_t n)
{
	static const unsigned char zstd[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	return (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) || (n >= 4 && memcmp(p, zstd, 4) == 0);
}

static int reader_end(struct guard_blob_reader *r, struct guard_error *err)
{
	char got[GUARD_DIGEST_MAX];

	r->ended = true;
	if (r->expect_size >= 0 && r->offset != (uint64_t)r->expect_size)
		return guard_error_set(err, r->corrupt_class,
				       "blob '%s' has %llu bytes, expected %lld (truncated or corrupt)",
				       r->key, (unsigned long long)r->offset,
				       (long long)r->expect_size);
	if (!r->verify)
		return 0;
	r->verify = false;
	if (guard_sha256_final(&r->sha, got, err) < 0)
		return -1;
	if (strcmp(got, r->expect) != 0)
		return guard_error_set(err, r->corrupt_class,
				       "blob '%s' does not match its digest: got %s, expected %s",
				       r->key, got, r->expect);
	return 0;
}

ssize_t guard_blob_reader_read(struct guard_blob_reader *r, const void **data,
			       struct guard_error *err)
{
	ssize_t n;

	if (r->failed) {
		guard_error_copy(err, &r->failure);
		return -1;
	}
	if (r->ended)
		return 0;
	n = r->source.read(r->source.impl, data, err);
	if (n < 0)
		return guard_error_prefix(err, "reading blob '%s'", r->key);
	if (n == 0) {
		if (reader_end(r, err) == 0)
			return 0;
		r->failed = true;
		guard_error_copy(&r->failure, err);
		return -1;
	}
	if (r->offset == 0 && r->verify && r->skip_compressed &&
	    is_compressed(*data, (size_t)n)) {
		guard_sha256_release(&r->sha);
		r->verify = false;
	}
	r->offset += (uint64_t)n;
	if (r->expect_size >= 0 && r->offset > (uint64_t)r->expect_size)
		return guard_error_set(err, r->corrupt_class,
				       "blob '%s' is larger than its declared %lld bytes", r->key,
				       (long long)r->expect_size);
	if (r->verify && guard_sha256_update(&r->sha, *data, (size_t)n, err) < 0)
		return -1;
	return n;
}

int guard_blob_reader_finish(struct guard_blob_reader *r, struct guard_error *err)
{
	const void *data;
	ssize_t n;

	while ((n = guard_blob_reader_read(r, &data, err)) > 0)
		;
	return n < 0 ? -1 : 0;
}

uint64_t guard_blob_reader_offset(const struct guard_blob_reader *r)
{
	return r->offset;
}

void guard_blob_reader_free(struct guard_blob_reader *r)
{
	if (!r)
		return;
	if (r->source.close)
		r->source.close(r->source.impl);
	if (r->verify)
		guard_sha256_release(&r->sha);
	free(r);
}

int guard_image_store_read(struct guard_image_store *store, const char *key,
			   const char *expect_digest, int64_t expect_size, size_t max,
			   struct guard_buf *out, struct guard_error *err)
{
	struct guard_blob_reader *r;
	const void *data;
	ssize_t n;

	if (expect_size >= 0 && (uint64_t)expect_size > max)
		return guard_error_set(err, GUARD_ERR_LIMIT,
				       "blob '%s' has %lld bytes, more than the %zu byte limit", key,
				       (long long)expect_size, max);
	if (guard_blob_reader_open(&r, store, key, expect_digest, expect_size, false, err) < 0)
		return -1;
	guard_buf_init(out, max);
	while ((n = guard_blob_reader_read(r, &data, err)) > 0) {
		if (guard_buf_append(out, data, (size_t)n, err) < 0) {
			guard_error_set(err, GUARD_ERR_LIMIT,
					"blob '%s' is larger than the %zu byte limit", key, max);
			break;
		}
	}
	guard_blob_reader_free(r);
	if (n < 0) {
		guard_buf_release(out);
		return -1;
	}
	if (!out->data && guard_buf_reserve(out, 1, err) < 0)
		return -1;
	return 0;
}
