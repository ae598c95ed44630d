/* Helpers shared by the engine's unit tests: fake secrets generated from
 * templates, and a scan that collects findings. The generated values have
 * the shape of real credentials but come from a fixed pseudo-random
 * sequence, so no real or vendor-documented key appears in the tests. */
#ifndef GUARD_TEST_ENGINE_FIXTURE_H
#define GUARD_TEST_ENGINE_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "finding.h"
#include "scanner.h"

static uint64_t __attribute__((unused)) fixture_state = 0x9e3779b97f4a7c15ull;

static inline unsigned fixture_random(unsigned below)
{
	fixture_state ^= fixture_state << 13;
	fixture_state ^= fixture_state >> 7;
	fixture_state ^= fixture_state << 17;
	return (unsigned)(fixture_state % below);
}

static inline const char *fixture_class(char c)
{
	switch (c) {
	case 'a': return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	case 'A': return "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	case 'L': return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	case 'd': return "0123456789";
	case 'h': return "0123456789abcdef";
	case 'x': return "abcdefghijklmnopqrstuvwxyz0123456789";
	case 'b': return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	case 'w': return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	case '2': return "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	case 'g': return "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
	default: return NULL;
	}
}

static inline void fixture_put_random(struct guard_buf *out, const char *chars, size_t n)
{
	size_t k = strlen(chars);

	for (size_t i = 0; i < n; i++)
		guard_buf_putc(out, chars[fixture_random((unsigned)k)], NULL);
}

static inline void fixture_put_base64(struct guard_buf *out, const unsigned char *in, size_t len)
{
	static const char table[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		v |= i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0;
		v |= i + 2 < len ? (uint32_t)in[i + 2] : 0;
		guard_buf_putc(out, table[(v >> 18) & 63], NULL);
		guard_buf_putc(out, table[(v >> 12) & 63], NULL);
		guard_buf_putc(out, i + 1 < len ? table[(v >> 6) & 63] : '=', NULL);
		guard_buf_putc(out, i + 2 < len ? table[v & 63] : '=', NULL);
	}
}

/* Expands a template: "{c:n}" is n random characters of class c (see
 * fixture_class), "{pem}" six lines of base64 key material, "{basic:n}"
 * base64 of "deploy:" and n random characters. The caller frees. */
/* When set, fixture_expand appends each generated value of 8 bytes or
 * more to it, one per line (PEM bodies line by line), so that a test can
 * look for the fake secrets in guard's output. */
static struct guard_buf *fixture_values __attribute__((unused));

static inline void fixture_record(const struct guard_buf *out, size_t start)
{
	size_t i = start;

	if (!fixture_values)
		return;
	while (i < out->len) {
		size_t end = i;

		while (end < out->len && out->data[end] != '\n')
			end++;
		if (end - i >= 8) {
			guard_buf_append(fixture_values, out->data + i, end - i, NULL);
			guard_buf_putc(fixture_values, '\n', NULL);
		}
		i = end + 1;
	}
}

static inline char *fixture_expand(const char *template)
{
	struct guard_buf out = GUARD_BUF_INIT(1 << 24);
	const char *p = template;

	while (*p) {
		const char *close;
		char spec[32];
		size_t n, start = out.len;

		if (*p != '{' || !(close = strchr(p, '}')) || (size_t)(close - p) >= sizeof(spec)) {
			guard_buf_putc(&out, *p++, NULL);
			continue;
		}
		memcpy(spec, p + 1, (size_t)(close - p - 1));
		spec[close - p - 1] = '\0';
		if (strcmp(spec, "pem") == 0) {
			for (int line = 0; line < 6; line++) {
				fixture_put_random(&out, fixture_class('b'), 64);
				guard_buf_putc(&out, '\n', NULL);
			}
			guard_buf_truncate(&out, out.len - 1);
		} else if (strncmp(spec, "basic:", 6) == 0) {
			struct guard_buf plain = GUARD_BUF_INIT(4096);

			guard_buf_puts(&plain, "deploy:", NULL);
			fixture_put_random(&plain, fixture_class('a'), strtoul(spec + 6, NULL, 10));
			fixture_put_base64(&out, (unsigned char *)plain.data, plain.len);
			guard_buf_release(&plain);
		} else if (spec[0] && spec[1] == ':' && fixture_class(spec[0])) {
			n = strtoul(spec + 2, NULL, 10);
			fixture_put_random(&out, fixture_class(spec[0]), n);
		} else {
			guard_buf_putc(&out, *p++, NULL);
			continue;
		}
		fixture_record(&out, start);
		p = close + 1;
	}
	return guard_buf_detach(&out, NULL);
}

static inline int fixture_collect(const struct guard_finding *f, void *ctx, struct guard_error *err)
{
	return guard_findings_add(ctx, f, err);
}

/* Scans text as the file at path and returns its findings. */
static inline int fixture_scan(struct guard_scanner *scanner, const char *path, const void *text,
			size_t len, struct guard_findings *out, struct guard_scan_stats *stats)
{
	struct guard_error err = GUARD_ERROR_INIT;
	struct guard_location loc = { 0 };
	struct guard_scan_stats ignored = { 0 };

	loc.path = (char *)path;
	memset(out, 0, sizeof(*out));
	return guard_scanner_scan(scanner, &loc, text, len, stats ? stats : &ignored,
				  fixture_collect, out, &err);
}

static inline size_t fixture_count_rule(const struct guard_findings *list, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < list->count; i++)
		n += strcmp(list->items[i].rule_id, rule) == 0;
	return n;
}

#endif
