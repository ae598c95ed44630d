/* Pack file reading for the history scan; see git_odb.h.
 *
 * Pack index, version 2: "\377tOc", version 2, 256 cumulative counts by
 * first id byte, the sorted ids and their CRC-32s. Then come 31-bit offsets,
 * where a set top bit means an index into the table of 64-bit offsets that
 * follows, and last the pack and index checksums.
 *
 * Pack entry: a header of type (3 bits) and inflated size (4 bits, then 7
 * per byte while the top bit is set). An offset delta then gives the
 * distance back to its base (7 bits per byte, each continuation adding one
 * before the shift), a reference delta the base's 20-byte id. A zlib stream
 * follows. A delta contains the base size, the result size (7 bits per
 * byte, low first) and copy or insert instructions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "git_odb.h"
#include "util.h"

#define IDX_HEADER 8
#define IDX_FANOUT (256 * 4)
#define ID_SIZE 20

/* Maximum delta chain followed before the pack is called malformed. git
 * caps pack.depth at 4095. */
#define CHAIN_MAX 4096

/* Bytes read from a pack at a time: at least WINDOW_MIN, so that neighbour
 * entries come with one read, and at most WINDOW_SIZE. */
#define WINDOW_MIN 4096
#define WINDOW_SIZE (128 * 1024)

#define CACHE_SLOTS 4096

/* Deltas larger than this have their sizes checked before they are
 * inflated whole. */
#define DELTA_PEEK_FROM (64 * 1024)

/* A delta whose result is over the caller's cap is inflated and its
 * instructions checked against that size, up to this delta size, so that
 * a damaged size field is called damage rather than a large blob. */
#define DELTA_CHECK_MAX (16 * 1024 * 1024)

/* zlib's largest compression ratio: an entry cannot inflate to more than
 * this many bytes per byte of the pack left after it. */
#define DEFLATE_RATIO_MAX 1032

enum {
	PACK_COMMIT = 1,
	PACK_TREE = 2,
	PACK_BLOB = 3,
	PACK_TAG = 4,
	PACK_OFS_DELTA = 6,
	PACK_REF_DELTA = 7,
};

struct pack {
	char *path;		/* of the .pack file, for messages */
	int fd;
	uint64_t size;
	unsigned char *idx;	/* the mapped index */
	size_t idx_size;
	uint32_t count;
	const unsigned char *fanout, *ids, *offsets, *large;
	uint32_t large_count;
};

struct guard_odb {
	struct pack *packs;
	size_t count;
	char *unusable;		/* why the first damaged pack was left out, or NULL */
};

struct cache_slot {
	uint64_t key;
	uint64_t end;		/* where the object's packed entry ends */
	struct guard_git_object *obj;
};

struct guard_odb_reader {
	struct guard_odb *odb;
	guard_odb_fallback_fn open_fallback;
	void *fallback_ctx;
	git_odb *fallback;	/* once opened; owned by fallback_ctx */
	bool fallback_failed;
	z_stream z;
	bool z_ready;
	struct libdeflate_decompressor *deflate;
	EVP_MD *sha1;
	EVP_MD_CTX *md;
	size_t last_pack;	/* where the previous look-up hit */

	unsigned char *window;
	size_t window_pack;
	uint64_t window_off;
	size_t window_len;

	struct cache_slot *slots;
	size_t cache_bytes, cache_max, hand;
	uint64_t base_limit;	/* cap on delta bases in the current read */
};

/* One parsed entry header. */
struct entry {
	int type;
	uint64_t size;		/* inflated size of the data (the delta for deltas) */
	uint64_t data_off;	/* where the zlib stream starts */
	uint64_t base_off;	/* offset deltas */
	git_oid base_id;	/* reference deltas */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void pack_close(struct pack *p)
{
	if (p->idx)
		munmap(p->idx, p->idx_size);
	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
}

/* Maps and checks one index and its pack's header. Returns 1 when the pack
 * is usable, 0 when it is left to libgit2 (*damage then names it, or
 * is NULL for an index of another version), -1 on a system error. */
static int pack_load(struct pack *p, const char *idx_path, const char **damage,
		     struct guard_error *err)
{
	unsigned char head[12];
	struct stat st;
	size_t len = strlen(idx_path), need;
	uint32_t i, prev = 0, n;
	int fd;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	*damage = "it cannot be opened";
	fd = open(idx_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	*damage = "it is shorter than its header";
	if (fstat(fd, &st) < 0 || st.st_size < IDX_HEADER + IDX_FANOUT + 2 * ID_SIZE) {
		close(fd);
		return 0;
	}
	p->idx_size = (size_t)st.st_size;
	p->idx = mmap(NULL, p->idx_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p->idx == MAP_FAILED) {
		p->idx = NULL;
		return 0;
	}
	/* Version 1 has no header and starts with the fanout table. */
	*damage = memcmp(p->idx, "\377tOc", 4) == 0 ? "its version is not 2" : NULL;
	if (memcmp(p->idx, "\377tOc", 4) != 0 || be32(p->idx + 4) != 2)
		goto unusable;
	*damage = "its fanout table is not in order";
	p->fanout = p->idx + IDX_HEADER;
	for (i = 0; i < 256; i++) {
		n = be32(p->fanout + 4 * i);
		if (n < prev)
			goto unusable;
		prev = n;
	}
	p->count = prev;
	*damage = "its size does not match its object count";
	need = IDX_HEADER + IDX_FANOUT + (size_t)p->count * (ID_SIZE + 4 + 4) + 2 * ID_SIZE;
	if (need > p->idx_size || (p->idx_size - need) % 8 != 0)
		goto unusable;
	p->ids = p->fanout + IDX_FANOUT;
	p->offsets = p->ids + (size_t)p->count * (ID_SIZE + 4);
	p->large = p->offsets + (size_t)p->count * 4;
	p->large_count = (uint32_t)((p->idx_size - need) / 8);

	p->path = malloc(len + 2);
	if (!p->path) {
		pack_close(p);
		return guard_error_oom(err);
	}
	memcpy(p->path, idx_path, len - 4);
	memcpy(p->path + len - 4, ".pack", 6);
	*damage = "its pack file is missing";
	p->fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0 || fstat(p->fd, &st) < 0)
		goto unusable;
	*damage = "its pack file has a damaged header or another object count";
	if (st.st_size < 12 + ID_SIZE || pread(p->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, "PACK", 4) != 0 || (be32(head + 4) != 2 && be32(head + 4) != 3) ||
	    be32(head + 8) != p->count)
		goto unusable;
	p->size = (uint64_t)st.st_size;
	*damage = NULL;
	return 1;
unusable:
	pack_close(p);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	return 0;
}

static char *objects_folder(git_repository *repo)
{
	const char *env = getenv("GIT_OBJECT_DIRECTORY"), *common;
	size_t len;
	char *path;

	if (env && *env)
		return strdup(env);
	common = git_repository_commondir(repo);
	if (!common)
		return NULL;
	len = strlen(common);
	path = malloc(len + sizeof("/objects"));
	if (path)
		snprintf(path, len + sizeof("/objects"), "%s%sobjects", common,
			 len && common[len - 1] == '/' ? "" : "/");
	return path;
}

int guard_odb_open(struct guard_odb **out, git_repository *repo, struct guard_error *err)
{
	char *objects = objects_folder(repo);
	int rc;

	if (!objects)
		return guard_error_oom(err);
	rc = guard_odb_open_folder(out, objects, err);
	free(objects);
	return rc;
}

int guard_odb_open_folder(struct guard_odb **out, const char *objects, struct guard_error *err)
{
	struct guard_odb *odb = calloc(1, sizeof(*odb));
	struct guard_buf path;
	struct dirent *de;
	size_t cap = 0, len;
	const char *damage;
	DIR *dir = NULL;
	void *grown;
	int rc = -1, ok;

	guard_buf_init(&path, PATH_MAX);
	if (!odb)
		return guard_error_oom(err);
	if (guard_buf_printf(&path, err, "%s/pack", objects) < 0)
		goto out;
	dir = opendir(path.data);
	while (dir && (de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".idx") != 0)
			continue;
		if (odb->count == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(odb->packs, cap * sizeof(*odb->packs));
			if (!grown) {
				guard_error_oom(err);
				goto out;
			}
			odb->packs = grown;
		}
		guard_buf_truncate(&path, 0);
		if (guard_buf_printf(&path, err, "%s/pack/%s", objects, de->d_name) < 0)
			goto out;
		ok = pack_load(&odb->packs[odb->count], path.data, &damage, err);
		if (ok < 0)
			goto out;
		if (ok)
			odb->count++;
		else if (damage && !odb->unusable &&
			 asprintf(&odb->unusable, "the pack index '%s' was left out because %s",
				  path.data, damage) < 0)
			odb->unusable = NULL;
	}
	*out = odb;
	odb = NULL;
	rc = 0;
out:
	if (dir)
		closedir(dir);
	guard_buf_release(&path);
	guard_odb_free(odb);
	return rc;
}

void guard_odb_free(struct guard_odb *odb)
{
	size_t i;

	if (!odb)
		return;
	for (i = 0; i < odb->count; i++)
		pack_close(&odb->packs[i]);
	free(odb->packs);
	free(odb->unusable);
	free(odb);
}

size_t guard_odb_pack_count(const struct guard_odb *odb)
{
	return odb->count;
}

/* Finds id in pack p. Returns true with *off and *pos (its place in the
 * index) set when present. */
static bool pack_find(const struct pack *p, const git_oid *id, uint64_t *off, uint32_t *pos)
{
	uint32_t lo = id->id[0] ? be32(p->fanout + 4 * (id->id[0] - 1)) : 0;
	uint32_t hi = be32(p->fanout + 4 * id->id[0]), mid, o;
	int c;

	if (hi > p->count)
		return false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(p->ids + (size_t)mid * ID_SIZE, id->id, ID_SIZE);
		if (c == 0) {
			*pos = mid;
			o = be32(p->offsets + (size_t)mid * 4);
			if (!(o & 0x80000000u)) {
				*off = o;
				return true;
			}
			o &= 0x7fffffffu;
			if (o >= p->large_count)
				return false;
			*off = be64(p->large + (size_t)o * 8);
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool odb_find(struct guard_odb_reader *r, const git_oid *id, size_t *pack, uint64_t *off,
		     uint32_t *pos)
{
	size_t i, n = r->odb->count;

	if (n == 0)
		return false;
	if (r->last_pack < n && pack_find(&r->odb->packs[r->last_pack], id, off, pos)) {
		*pack = r->last_pack;
		return true;
	}
	for (i = 0; i < n; i++) {
		if (i != r->last_pack && pack_find(&r->odb->packs[i], id, off, pos)) {
			*pack = r->last_pack = i;
			return true;
		}
	}
	return false;
}

int guard_odb_reader_new(struct guard_odb_reader **out, struct guard_odb *odb,
			 guard_odb_fallback_fn open_fallback, void *fallback_ctx, size_t cache_bytes,
			 struct guard_error *err)
{
	struct guard_odb_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return guard_error_oom(err);
	r->odb = odb;
	r->open_fallback = open_fallback;
	r->fallback_ctx = fallback_ctx;
	r->cache_max = cache_bytes;
	r->window = malloc(WINDOW_SIZE);
	r->slots = calloc(CACHE_SLOTS, sizeof(*r->slots));
	if (!r->window || !r->slots) {
		guard_odb_reader_free(r);
		return guard_error_oom(err);
	}
	if (inflateInit(&r->z) != Z_OK) {
		guard_odb_reader_free(r);
		return guard_error_set(err, GUARD_ERR_INTERNAL, "zlib could not start an inflate stream");
	}
	r->z_ready = true;
	r->deflate = libdeflate_alloc_decompressor();
	if (!r->deflate) {
		guard_odb_reader_free(r);
		return guard_error_oom(err);
	}
	r->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	r->md = EVP_MD_CTX_new();
	if (!r->sha1 || !r->md) {
		guard_odb_reader_free(r);
		return guard_error_set(err, GUARD_ERR_INTERNAL, "OpenSSL has no SHA-1 digest");
	}
	*out = r;
	return 0;
}

void guard_git_object_unref(struct guard_git_object *obj)
{
	if (obj && --obj->refs == 0)
		free(obj);
}

void guard_odb_reader_free(struct guard_odb_reader *r)
{
	size_t i;

	if (!r)
		return;
	if (r->slots)
		for (i = 0; i < CACHE_SLOTS; i++)
			guard_git_object_unref(r->slots[i].obj);
	free(r->slots);
	free(r->window);
	if (r->z_ready)
		inflateEnd(&r->z);
	if (r->deflate)
		libdeflate_free_decompressor(r->deflate);
	EVP_MD_CTX_free(r->md);
	EVP_MD_free(r->sha1);
	free(r);
}

static struct guard_git_object *object_new(git_object_t type, size_t size, struct guard_error *err)
{
	struct guard_git_object *obj = malloc(sizeof(*obj) + size + 1);

	if (!obj) {
		guard_error_oom(err);
		return NULL;
	}
	obj->refs = 1;
	obj->verified = false;
	obj->type = type;
	obj->size = size;
	obj->data[size] = '\0';
	return obj;
}

/* The delta base cache: direct-mapped by (pack, offset), bounded in bytes
 * by a clock hand that drops entries in slot order. */
static uint64_t cache_key(size_t pack, uint64_t off)
{
	return (uint64_t)pack << 48 ^ off;
}

static struct cache_slot *cache_slot(struct guard_odb_reader *r, uint64_t key)
{
	return &r->slots[(key * 0x9e3779b97f4a7c15ull) >> (64 - 12)];
}

static struct guard_git_object *cache_get(struct guard_odb_reader *r, uint64_t key, uint64_t *end)
{
	struct cache_slot *s = cache_slot(r, key);

	if (s->obj && s->key == key) {
		*end = s->end;
		return guard_git_object_ref(s->obj);
	}
	return NULL;
}

static void cache_drop(struct guard_odb_reader *r, struct cache_slot *s)
{
	if (!s->obj)
		return;
	r->cache_bytes -= s->obj->size;
	guard_git_object_unref(s->obj);
	s->obj = NULL;
}

static void cache_put(struct guard_odb_reader *r, uint64_t key, uint64_t end,
		      struct guard_git_object *obj)
{
	struct cache_slot *s = cache_slot(r, key);

	if (obj->size > r->cache_max / 4)
		return;
	cache_drop(r, s);
	s->key = key;
	s->end = end;
	s->obj = guard_git_object_ref(obj);
	r->cache_bytes += obj->size;
	while (r->cache_bytes > r->cache_max) {
		if (&r->slots[r->hand] != s)
			cache_drop(r, &r->slots[r->hand]);
		r->hand = (r->hand + 1) % CACHE_SLOTS;
	}
}

static int corrupt(const struct pack *p, uint64_t off, const char *fault, struct guard_error *err)
{
	return guard_error_set(err, GUARD_ERR_PARSE, "pack file '%s' is malformed at offset %llu: %s; "
			       "run 'git fsck' to check the repository", p->path,
			       (unsigned long long)off, fault);
}

/* Makes bytes from off on available, reading about want of them unless the
 * window already contains them. Returns how many (at least one, up to the end
 * of the window), or 0 at the end of the file or on a read error. */
static size_t window_at(struct guard_odb_reader *r, size_t pack, uint64_t off, size_t want,
			const unsigned char **data)
{
	const struct pack *p = &r->odb->packs[pack];
	ssize_t n;

	if (r->window_len && r->window_pack == pack && off >= r->window_off &&
	    off - r->window_off < r->window_len &&
	    (r->window_len - (off - r->window_off) >= want ||
	     r->window_off + r->window_len == p->size)) {
		*data = r->window + (off - r->window_off);
		return r->window_len - (size_t)(off - r->window_off);
	}
	r->window_len = 0;
	if (off >= p->size)
		return 0;
	if (want < WINDOW_MIN)
		want = WINDOW_MIN;
	if (want > WINDOW_SIZE)
		want = WINDOW_SIZE;
	do
		n = pread(p->fd, r->window, want, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	r->window_pack = pack;
	r->window_off = off;
	r->window_len = (size_t)n;
	*data = r->window;
	return (size_t)n;
}

static int entry_parse(struct guard_odb_reader *r, size_t pack, uint64_t off, struct entry *e,
		       struct guard_error *err)
{
	const struct pack *p = &r->odb->packs[pack];
	const unsigned char *d;
	size_t n = window_at(r, pack, off, 64, &d), i = 0;
	uint64_t size, back;
	unsigned shift = 4;
	unsigned char c;

	if (off < 12 || n == 0)
		return corrupt(p, off, "the entry lies outside the file", err);
	c = d[i++];
	e->type = (c >> 4) & 7;
	size = c & 15;
	while (c & 0x80) {
		if (i >= n || shift > 57)
			return corrupt(p, off, "bad entry header", err);
		c = d[i++];
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	e->size = size;
	if (e->type == PACK_OFS_DELTA) {
		if (i >= n)
			return corrupt(p, off, "bad delta offset", err);
		c = d[i++];
		back = c & 0x7f;
		while (c & 0x80) {
			if (i >= n || back >= (UINT64_MAX >> 8))
				return corrupt(p, off, "bad delta offset", err);
			c = d[i++];
			back = ((back + 1) << 7) | (c & 0x7f);
		}
		if (back == 0 || back > off - 12)
			return corrupt(p, off, "delta base offset out of range", err);
		e->base_off = off - back;
	} else if (e->type == PACK_REF_DELTA) {
		if (n - i < ID_SIZE)
			return corrupt(p, off, "truncated delta base id", err);
		git_oid_fromraw(&e->base_id, d + i);
		i += ID_SIZE;
	} else if (e->type < PACK_COMMIT || e->type > PACK_TAG) {
		return corrupt(p, off, "unknown entry type", err);
	}
	e->data_off = off + i;
	if (e->data_off >= p->size ||
	    e->size / DEFLATE_RATIO_MAX > p->size - e->data_off)
		return corrupt(p, off, "the entry announces more data than the rest of the pack "
			       "can inflate to", err);
	return 0;
}

/* Inflates the zlib stream at off into out, which must come out exactly
 * size bytes long. zlib's compressBound is under size + 64 for anything
 * that fits the read window, so such a stream is usually inflated in one
 * libdeflate call, which measured twice as fast as zlib here. A longer
 * stream, or one that call rejects, goes through zlib, whose message then
 * names the damage. */
static int inflate_at(struct guard_odb_reader *r, size_t pack, uint64_t off, unsigned char *out,
		      size_t size, uint64_t *end, struct guard_error *err)
{
	const struct pack *p = &r->odb->packs[pack];
	const unsigned char *d;
	unsigned char none;
	uint64_t cur = off;
	size_t n, want = size + 64, in_used, out_len, done;
	int zr;

	if (want <= WINDOW_SIZE) {
		n = window_at(r, pack, off, want, &d);
		if (n && libdeflate_zlib_decompress_ex(r->deflate, d, n, out, size, &in_used,
						       &out_len) == LIBDEFLATE_SUCCESS &&
		    out_len == size) {
			*end = off + in_used;
			return 0;
		}
	}

	if (inflateReset(&r->z) != Z_OK)
		return guard_error_set(err, GUARD_ERR_INTERNAL, "zlib could not reset its stream");
	r->z.next_out = size ? out : &none;
	r->z.avail_out = 0;
	for (;;) {
		/* avail_out is 32 bits wide, so larger objects go in parts. */
		done = size ? (size_t)(r->z.next_out - out) : 0;
		if (r->z.avail_out == 0 && done < size)
			r->z.avail_out = (uInt)(size - done < UINT_MAX ? size - done : UINT_MAX);
		n = window_at(r, pack, cur, want, &d);
		want = WINDOW_SIZE;
		if (n == 0)
			return corrupt(p, off, "the compressed data is cut short", err);
		r->z.next_in = (unsigned char *)d;
		r->z.avail_in = (uInt)n;
		zr = inflate(&r->z, Z_NO_FLUSH);
		cur += n - r->z.avail_in;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && r->z.avail_out == 0 && r->z.avail_in > 0 &&
		    (size_t)(r->z.next_out - (size ? out : &none)) >= size)
			return corrupt(p, off, "the data is longer than its header says", err);
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return corrupt(p, off, r->z.msg ? r->z.msg : "bad compressed data", err);
		if (zr == Z_BUF_ERROR && r->z.avail_in > 0)
			return corrupt(p, off, "bad compressed data", err);
	}
	if (r->z.total_out != size)
		return corrupt(p, off, "the data is shorter than its header says", err);
	*end = cur;
	return 0;
}

static int varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned char c;

	do {
		if (*p >= end || shift > 63)
			return -1;
		c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*out = v;
	return 0;
}

/* One delta instruction: a copy of size bytes from the base at off, or an
 * insert of size bytes that follow the instruction (data). */
struct delta_op {
	uint64_t off, size;
	const unsigned char *data;	/* NULL for a copy */
};

/* Decodes the instruction at *ops and moves past it. Returns 0, or -1 when
 * it is malformed or reaches past end or past a base of base_size bytes. */
static int delta_next(const unsigned char **ops, const unsigned char *end, uint64_t base_size,
		      struct delta_op *op)
{
	const unsigned char *p = *ops;
	unsigned char code = *p++;
	int bit;

	memset(op, 0, sizeof(*op));
	if (code & 0x80) {
		/* Bits 0 to 3 select the offset bytes that follow and bits 4
		 * to 6 the size bytes. A size of 0 means 0x10000. */
		for (bit = 0; bit < 7; bit++) {
			if (!(code & (1u << bit)))
				continue;
			if (p >= end)
				return -1;
			if (bit < 4)
				op->off |= (uint64_t)*p++ << (8 * bit);
			else
				op->size |= (uint64_t)*p++ << (8 * (bit - 4));
		}
		if (op->size == 0)
			op->size = 0x10000;
		if (op->off > base_size || op->size > base_size - op->off)
			return -1;
	} else {
		if (code == 0 || code > end - p)
			return -1;
		op->size = code;
		op->data = p;
		p += code;
	}
	*ops = p;
	return 0;
}

/* Returns how many bytes the instructions at ops would make on a base of
 * base_size bytes, or UINT64_MAX when they are malformed. */
static uint64_t delta_length(const unsigned char *ops, const unsigned char *end, uint64_t base_size)
{
	struct delta_op op;
	uint64_t total = 0;

	while (ops < end) {
		if (delta_next(&ops, end, base_size, &op) < 0)
			return UINT64_MAX;
		total += op.size;
	}
	return total;
}

/* Builds the result of delta (after its two size fields, at ops) on
 * base into out. */
static int delta_apply(const struct guard_git_object *base, const unsigned char *ops,
		       const unsigned char *end, struct guard_git_object *out)
{
	unsigned char *q = out->data, *qend = out->data + out->size;
	struct delta_op op;

	while (ops < end) {
		if (delta_next(&ops, end, base->size, &op) < 0 || op.size > (uint64_t)(qend - q))
			return -1;
		memcpy(q, op.data ? op.data : base->data + op.off, (size_t)op.size);
		q += op.size;
	}
	return q == qend ? 0 : -1;
}

/* Reads the base and result sizes from the first bytes of a delta. */
static int delta_sizes(struct guard_odb_reader *r, size_t pack, const struct entry *e,
		       uint64_t *base_size, uint64_t *result_size, struct guard_error *err)
{
	const struct pack *p = &r->odb->packs[pack];
	unsigned char head[32];
	const unsigned char *d, *q = head;
	size_t n;
	int zr;

	if (inflateReset(&r->z) != Z_OK)
		return guard_error_set(err, GUARD_ERR_INTERNAL, "zlib could not reset its stream");
	n = window_at(r, pack, e->data_off, WINDOW_MIN, &d);
	if (n == 0)
		return corrupt(p, e->data_off, "the compressed data is cut short", err);
	r->z.next_in = (unsigned char *)d;
	r->z.avail_in = (uInt)n;
	r->z.next_out = head;
	r->z.avail_out = sizeof(head);
	zr = inflate(&r->z, Z_SYNC_FLUSH);
	if ((zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) ||
	    varint(&q, head + (sizeof(head) - r->z.avail_out), base_size) < 0 ||
	    varint(&q, head + (sizeof(head) - r->z.avail_out), result_size) < 0)
		return corrupt(p, e->data_off, "bad delta header", err);
	return 0;
}

/* Checks the sizes a delta announces against the caps and against its own
 * size: each instruction makes at least one byte of the result and takes at
 * most 8 bytes, so a longer delta is malformed. */
static int delta_sizes_check(const struct guard_odb_reader *r, const struct pack *p, uint64_t off,
			     const struct entry *e, uint64_t base_size, uint64_t result_size,
			     struct guard_error *err)
{
	if (base_size > r->base_limit)
		return guard_error_set(err, GUARD_ERR_LIMIT, "a delta in pack file '%s' builds on an "
				       "object of %llu bytes, over the cap of %llu bytes for delta "
				       "bases", p->path, (unsigned long long)base_size,
				       (unsigned long long)r->base_limit);
	if (e->size > 8 * result_size + 32)
		return corrupt(p, off, "the delta is longer than its result could need", err);
	return 0;
}

static int read_fallback(struct guard_odb_reader *r, const git_oid *id, uint64_t max_size,
			 struct guard_git_object **out, uint64_t *size, struct guard_error *err)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb_object *o = NULL;
	git_object_t type;
	size_t len;
	int rc;

	git_oid_tostr(hex, sizeof(hex), id);
	if (!r->fallback && r->open_fallback && !r->fallback_failed) {
		if (r->open_fallback(r->fallback_ctx, &r->fallback, err) < 0) {
			r->fallback_failed = true;
			return -1;
		}
	}
	rc = r->fallback ? git_odb_read_header(&len, &type, r->fallback, id) : GIT_ENOTFOUND;
	if (rc == GIT_ENOTFOUND)
		return guard_error_set(err, GUARD_ERR_IO, "object %s is not in the repository%s%s", hex,
				       r->odb->unusable ? "; " : "",
				       r->odb->unusable ? r->odb->unusable : "");
	if (rc < 0)
		return guard_error_set(err, GUARD_ERR_IO, "reading object %s: %s", hex,
				       git_error_last() ? git_error_last()->message : "failed");
	if (len > max_size) {
		*size = len;
		return 1;
	}
	if (git_odb_read(&o, r->fallback, id) < 0)
		return guard_error_set(err, GUARD_ERR_IO, "reading object %s: %s", hex,
				       git_error_last() ? git_error_last()->message : "failed");
	len = git_odb_object_size(o);
	*out = object_new(git_odb_object_type(o), len, err);
	if (*out)
		memcpy((*out)->data, git_odb_object_data(o), len);
	git_odb_object_free(o);
	return *out ? 0 : -1;
}

static int read_at(struct guard_odb_reader *r, size_t pack, uint64_t off, uint64_t max_size,
		   bool keep, unsigned depth, struct guard_git_object **out, uint64_t *size,
		   uint64_t *entry_end, struct guard_error *err);

/* Reads the base of a delta, which must be exactly base_size bytes. */
static int read_base(struct guard_odb_reader *r, size_t pack, const struct entry *e,
		     uint64_t base_size, unsigned depth, struct guard_git_object **out,
		     struct guard_error *err)
{
	const struct pack *p = &r->odb->packs[pack];
	size_t base_pack = pack;
	uint64_t base_off = e->base_off, ignored, end;
	uint32_t pos;
	int rc;

	if (e->type == PACK_REF_DELTA && !odb_find(r, &e->base_id, &base_pack, &base_off, &pos)) {
		rc = read_fallback(r, &e->base_id, base_size, out, &ignored, err);
		if (rc == 1)
			return corrupt(p, e->data_off, "the delta base has another size", err);
		return rc;
	}
	if (depth >= CHAIN_MAX)
		return corrupt(p, e->data_off, "the delta chain is too long", err);
	rc = read_at(r, base_pack, base_off, base_size, true, depth + 1, out, &ignored, &end, err);
	if (rc == 1)
		return corrupt(p, e->data_off, "the delta base has another size", err);
	return rc;
}

/* Reads the object whose entry starts at off. *entry_end gets the offset
 * where that entry's compressed data ends. */
static int read_at(struct guard_odb_reader *r, size_t pack, uint64_t off, uint64_t max_size,
		   bool keep, unsigned depth, struct guard_git_object **out, uint64_t *size,
		   uint64_t *entry_end, struct guard_error *err)
{
	const struct pack *p = &r->odb->packs[pack];
	struct guard_git_object *obj = NULL, *base = NULL;
	const unsigned char *ops, *end;
	unsigned char *delta = NULL;
	uint64_t key = cache_key(pack, off), base_size = 0, result_size = 0;
	struct entry e;
	int rc = -1;

	obj = cache_get(r, key, entry_end);
	if (obj) {
		if (obj->size > max_size) {
			*size = obj->size;
			guard_git_object_unref(obj);
			return 1;
		}
		*out = obj;
		return 0;
	}
	if (entry_parse(r, pack, off, &e, err) < 0)
		return -1;

	if (e.type != PACK_OFS_DELTA && e.type != PACK_REF_DELTA) {
		if (e.size > max_size) {
			*size = e.size;
			return 1;
		}
		if (e.size > SIZE_MAX - sizeof(struct guard_git_object) - 1)
			return corrupt(p, off, "the entry is too large for this machine", err);
		obj = object_new((git_object_t)e.type, (size_t)e.size, err);
		if (!obj)
			return -1;
		if (inflate_at(r, pack, e.data_off, obj->data, obj->size, entry_end, err) < 0)
			goto out;
		goto done;
	}

	/* A delta starts with the sizes of its base and its result, so an
	 * oversized result is known before the base is read. A large delta
	 * is checked from its first bytes before all of it is inflated. */
	if (e.size > DELTA_PEEK_FROM) {
		if (delta_sizes(r, pack, &e, &base_size, &result_size, err) < 0)
			return -1;
		if (result_size > max_size && e.size > DELTA_CHECK_MAX) {
			*size = result_size;
			return 1;
		}
		if (result_size <= max_size &&
		    delta_sizes_check(r, p, off, &e, base_size, result_size, err) < 0)
			return -1;
	}
	delta = malloc(e.size ? (size_t)e.size : 1);
	if (!delta)
		return guard_error_oom(err);
	if (inflate_at(r, pack, e.data_off, delta, (size_t)e.size, entry_end, err) < 0)
		goto out;
	ops = delta;
	end = delta + e.size;
	if (varint(&ops, end, &base_size) < 0 || varint(&ops, end, &result_size) < 0) {
		corrupt(p, off, "bad delta header", err);
		goto out;
	}
	if (result_size > max_size) {
		if (delta_length(ops, end, base_size) != result_size) {
			corrupt(p, off, "the delta's instructions do not make the size it announces",
				err);
			goto out;
		}
		*size = result_size;
		rc = 1;
		goto out;
	}
	if (delta_sizes_check(r, p, off, &e, base_size, result_size, err) < 0)
		goto out;
	if (read_base(r, pack, &e, base_size, depth, &base, err) < 0)
		goto out;
	if (base->size != base_size) {
		corrupt(p, off, "the delta base has another size", err);
		goto out;
	}
	obj = object_new(base->type, (size_t)result_size, err);
	if (!obj)
		goto out;
	if (delta_apply(base, ops, end, obj) < 0) {
		corrupt(p, off, "bad delta instructions", err);
		goto out;
	}
done:
	if (keep)
		cache_put(r, key, *entry_end, obj);
	*out = obj;
	obj = NULL;
	rc = 0;
out:
	guard_git_object_unref(obj);
	guard_git_object_unref(base);
	free(delta);
	return rc;
}

static int damaged(struct guard_odb_reader *r, size_t pack, const git_oid *id,
		   struct guard_error *err)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return guard_error_set(err, GUARD_ERR_PARSE, "object %s read from pack file '%s' does not "
			       "match its id, so the pack file or its index is damaged; run "
			       "'git fsck' to check the repository", hex, r->odb->packs[pack].path);
}

/* Hashes the object as git does ("TYPE SIZE\0" and the content) and
 * compares the result with the id it was read under. */
static int verify_hash(struct guard_odb_reader *r, size_t pack, const git_oid *id,
		       struct guard_git_object *obj, struct guard_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char header[64];
	unsigned md_len = 0;
	int n;

	n = snprintf(header, sizeof(header), "%s %zu", git_object_type2string(obj->type), obj->size);
	if (n < 0 || (size_t)n >= sizeof(header) || !EVP_DigestInit_ex(r->md, r->sha1, NULL) ||
	    !EVP_DigestUpdate(r->md, header, (size_t)n + 1) ||
	    !EVP_DigestUpdate(r->md, obj->data, obj->size) ||
	    !EVP_DigestFinal_ex(r->md, md, &md_len))
		return guard_error_set(err, GUARD_ERR_INTERNAL, "computing a SHA-1 digest failed");
	if (md_len != GIT_OID_RAWSZ || memcmp(md, id->id, GIT_OID_RAWSZ) != 0)
		return damaged(r, pack, id, err);
	return 0;
}

/* Compares the CRC-32 of the packed entry [off, end) with the one the
 * index stores at pos. */
static int verify_crc(struct guard_odb_reader *r, size_t pack, const git_oid *id, uint64_t off,
		      uint64_t end, uint32_t pos, struct guard_error *err)
{
	const struct pack *p = &r->odb->packs[pack];
	uint32_t crc = 0, want = be32(p->ids + (size_t)p->count * ID_SIZE + (size_t)pos * 4);
	const unsigned char *d;
	size_t n;

	while (off < end) {
		n = window_at(r, pack, off, (size_t)(end - off < WINDOW_SIZE ? end - off : WINDOW_SIZE),
			      &d);
		if (n == 0)
			return corrupt(p, off, "the compressed data is cut short", err);
		if (n > end - off)
			n = (size_t)(end - off);
		crc = libdeflate_crc32(crc, d, n);
		off += n;
	}
	return crc == want ? 0 : damaged(r, pack, id, err);
}

/* Checks that an object read from a pack is the one its id names. A blob,
 * whose content is scanned, is hashed as git does. Trees and commits, read
 * on the walk's critical path, are checked against the CRC-32 of their
 * packed entry in the index instead: that catches a damaged index or pack
 * for a small part of the cost of hashing every tree. */
static int object_verify(struct guard_odb_reader *r, size_t pack, const git_oid *id,
			 uint64_t off, uint64_t end, uint32_t pos, struct guard_git_object *obj,
			 struct guard_error *err)
{
	int rc;

	if (obj->type == GIT_OBJECT_BLOB)
		rc = verify_hash(r, pack, id, obj, err);
	else
		rc = verify_crc(r, pack, id, off, end, pos, err);
	if (rc == 0)
		obj->verified = true;
	return rc;
}

int guard_odb_read(struct guard_odb_reader *r, const git_oid *id, uint64_t max_size, bool keep,
		   struct guard_git_object **out, uint64_t *size, struct guard_error *err)
{
	size_t pack;
	uint64_t off, end = 0, ignored;
	uint32_t pos;
	int rc;

	*out = NULL;
	if (!size)
		size = &ignored;
	if (!odb_find(r, id, &pack, &off, &pos))
		return read_fallback(r, id, max_size, out, size, err);
	r->base_limit = max_size > GUARD_ODB_OBJECT_MAX ? max_size : GUARD_ODB_OBJECT_MAX;
	rc = read_at(r, pack, off, max_size, keep, 0, out, size, &end, err);
	if (rc == 0 && !(*out)->verified &&
	    object_verify(r, pack, id, off, end, pos, *out, err) < 0) {
		guard_git_object_unref(*out);
		*out = NULL;
		return -1;
	}
	return rc;
}
