/* libFuzzer target for guard's pack reader (guard/git_odb.c). The input is
 * turned into a pack file and a version 2 index. The first byte gives the
 * number of objects (1 to 16), then comes one 4-byte offset per object
 * (little endian), and the rest is the pack body after its 12-byte header.
 * Offsets with the top bit set go to the 64-bit table. Object i gets the
 * id whose 20 bytes are all i, so reference deltas in the body can name
 * other objects of the same pack, cycles included. Every object is read
 * twice, with and without the delta base cache, under a 1 MiB cap.
 *
 * Build and run (clang with libFuzzer, from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iguard fuzz/git_pack.c guard/git_odb.c guard/error.c guard/buf.c \
 *     $(pkg-config --cflags --libs libgit2 zlib libdeflate libcrypto) -o build/fuzz-git-pack
 *   mkdir -p build/fuzz-pack-corpus
 *   build/fuzz-git-pack -max_len=65536 build/fuzz-pack-corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git_odb.h"

#define OBJECTS_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[64];

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pack/%s", folder, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* Writes the index: header, fanout, ids, CRCs, offsets, 64-bit offsets
 * and two zeroed checksums. */
static void write_index(unsigned count, const uint32_t *offsets, uint64_t body_len)
{
	unsigned char idx[8 + 1024 + OBJECTS_MAX * (20 + 4 + 4 + 8) + 40];
	unsigned char *p = idx;
	unsigned i, b, large = 0;
	uint64_t off;

	memset(idx, 0, sizeof(idx));
	memcpy(p, "\377tOc", 4);
	put32(p + 4, 2);
	p += 8;
	for (b = 0; b < 256; b++)
		put32(p + 4 * b, b < count ? b + 1 : count);
	p += 1024;
	for (i = 0; i < count; i++, p += 20)
		memset(p, (int)i, 20);
	p += 4 * count;		/* CRCs, unused by the reader */
	for (i = 0; i < count; i++, p += 4) {
		off = 12 + (body_len ? offsets[i] % body_len : 0);
		if (offsets[i] & 0x80000000u)
			put32(p, 0x80000000u | large++);
		else
			put32(p, (uint32_t)off);
	}
	for (i = 0; i < count; i++) {
		if (!(offsets[i] & 0x80000000u))
			continue;
		off = 12 + (body_len ? (offsets[i] & 0x7fffffffu) % body_len : 0);
		put32(p, (uint32_t)(off >> 32));
		put32(p + 4, (uint32_t)off);
		p += 8;
	}
	p += 40;
	write_file("pack-fuzz.idx", idx, (size_t)(p - idx));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_odb *odb = NULL;
	struct guard_odb_reader *cached = NULL, *uncached = NULL;
	struct guard_git_object *obj;
	uint32_t offsets[OBJECTS_MAX];
	unsigned char *pack;
	unsigned count, i;
	uint64_t too_large;
	git_oid id;
	char path[128];

	if (!folder[0]) {
		snprintf(folder, sizeof(folder), "/tmp/guard-fuzz-pack.%ld", (long)getpid());
		snprintf(path, sizeof(path), "%s/pack", folder);
		if (mkdir(folder, 0700) < 0 || mkdir(path, 0700) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	count = data[0] % OBJECTS_MAX + 1;
	if (size < 1 + 4 * (size_t)count)
		return 0;
	for (i = 0; i < count; i++)
		offsets[i] = (uint32_t)data[1 + 4 * i] | (uint32_t)data[2 + 4 * i] << 8 |
			     (uint32_t)data[3 + 4 * i] << 16 | (uint32_t)data[4 + 4 * i] << 24;
	data += 1 + 4 * count;
	size -= 1 + 4 * count;

	pack = malloc(12 + size + 20);
	if (!pack)
		abort();
	memcpy(pack, "PACK", 4);
	put32(pack + 4, 2);
	put32(pack + 8, count);
	memcpy(pack + 12, data, size);
	memset(pack + 12 + size, 0, 20);
	write_file("pack-fuzz.pack", pack, 12 + size + 20);
	free(pack);
	write_index(count, offsets, size);

	if (guard_odb_open_folder(&odb, folder, &err) < 0 ||
	    guard_odb_reader_new(&cached, odb, NULL, NULL, 1u << 20, &err) < 0 ||
	    guard_odb_reader_new(&uncached, odb, NULL, NULL, 0, &err) < 0)
		abort();
	for (i = 0; i < count; i++) {
		memset(id.id, (int)i, sizeof(id.id));
		if (guard_odb_read(cached, &id, 1u << 20, true, &obj, &too_large, &err) == 0)
			guard_git_object_unref(obj);
		if (guard_odb_read(uncached, &id, 1u << 20, false, &obj, &too_large, &err) == 0)
			guard_git_object_unref(obj);
	}
	guard_odb_reader_free(cached);
	guard_odb_reader_free(uncached);
	guard_odb_free(odb);
	return 0;
}
