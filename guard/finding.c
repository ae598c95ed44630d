/* Findings: redacted secrets, fingerprints and the list report writers use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "finding.h"
#include "util.h"

static const char *const severity_names[] = {
	[GUARD_SEVERITY_LOW] = "low",
	[GUARD_SEVERITY_MEDIUM] = "medium",
	[GUARD_SEVERITY_HIGH] = "high",
	[GUARD_SEVERITY_CRITICAL] = "critical",
};

const char *guard_severity_name(enum guard_severity severity)
{
	if ((size_t)severity >= GUARD_ARRAY_SIZE(severity_names))
		return "unknown";
	return severity_names[severity];
}

int guard_severity_parse(const char *name, enum guard_severity *out)
{
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(severity_names); i++) {
		if (name && strcasecmp(name, severity_names[i]) == 0) {
			*out = (enum guard_severity)i;
			return 0;
		}
	}
	return -1;
}

/* Short secrets show fewer characters, so that the preview never gives
 * away most of the value: 4 from 16 bytes up, 2 from 8, none below. */
static size_t preview_chars(size_t len)
{
	if (len >= 16)
		return 4;
	if (len >= 8)
		return 2;
	return 0;
}

int guard_finding_set_secret(struct guard_finding *f, const void *secret, size_t len,
			     struct guard_error *err)
{
	const unsigned char *s = secret;
	size_t shown = preview_chars(len);
	size_t n = 0;

	if (guard_sha256_hex(secret, len, f->secret_hash, err) < 0)
		return -1;
	f->secret_length = len;

	/* Only printable ASCII reaches the preview, so that it is safe in any
	 * output format. */
	for (size_t i = 0; i < shown; i++)
		f->preview[n++] = (s[i] > 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	snprintf(f->preview + n, sizeof(f->preview) - n, "\xe2\x80\xa6 (%zu bytes)", len);
	return 0;
}

int guard_finding_fingerprint(struct guard_finding *f, struct guard_error *err)
{
	struct guard_sha256 h;
	char source[GUARD_DIGEST_MAX];
	const char *parts[3] = { f->loc.path, f->loc.commit, f->loc.layer };

	if (guard_sha256_init(&h, err) < 0)
		return -1;
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(parts); i++) {
		const char *p = parts[i] ? parts[i] : "";

		/* The NUL separates the parts, so "a" + "bc" differs from "ab" + "c". */
		if (guard_sha256_update(&h, p, strlen(p) + 1, err) < 0) {
			guard_sha256_release(&h);
			return -1;
		}
	}
	if (guard_sha256_final(&h, source, err) < 0)
		return -1;

	/* source is "sha256:<hex>"; 16 hex digits of each hash are plenty to
	 * tell findings apart and keep the fingerprint readable. */
	snprintf(f->fingerprint, sizeof(f->fingerprint), "%.40s:%.16s:%.32s",
		 f->rule_id ? f->rule_id : "", source + 7, f->secret_hash);
	return 0;
}

static int copy_string(char **dst, const char *src, struct guard_error *err)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = guard_strdup(src, err);
	return *dst ? 0 : -1;
}

static int copy_location(struct guard_location *dst, const struct guard_location *src,
			 struct guard_error *err)
{
	*dst = *src;
	if (copy_string(&dst->path, src->path, err) < 0 ||
	    copy_string(&dst->commit, src->commit, err) < 0 ||
	    copy_string(&dst->author, src->author, err) < 0 ||
	    copy_string(&dst->date, src->date, err) < 0 ||
	    copy_string(&dst->subject, src->subject, err) < 0 ||
	    copy_string(&dst->image, src->image, err) < 0 ||
	    copy_string(&dst->platform, src->platform, err) < 0 ||
	    copy_string(&dst->layer, src->layer, err) < 0 ||
	    copy_string(&dst->step, src->step, err) < 0 ||
	    copy_string(&dst->origin, src->origin, err) < 0)
		return -1;
	return 0;
}

static void release_location(struct guard_location *loc)
{
	free(loc->path);
	free(loc->commit);
	free(loc->author);
	free(loc->date);
	free(loc->subject);
	free(loc->image);
	free(loc->platform);
	free(loc->layer);
	free(loc->step);
	free(loc->origin);
	memset(loc, 0, sizeof(*loc));
}

int guard_findings_add(struct guard_findings *list, const struct guard_finding *src,
		       struct guard_error *err)
{
	struct guard_finding *f;

	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct guard_finding *items = reallocarray(list->items, cap, sizeof(*items));

		if (!items)
			return guard_error_oom(err);
		list->items = items;
		list->cap = cap;
	}

	f = &list->items[list->count];
	*f = *src;
	f->message = NULL;
	memset(&f->loc, 0, sizeof(f->loc));
	if (copy_string(&f->message, src->message, err) < 0 ||
	    copy_location(&f->loc, &src->loc, err) < 0) {
		guard_finding_release(f);
		return -1;
	}
	list->count++;
	return 0;
}

void guard_finding_release(struct guard_finding *f)
{
	if (!f)
		return;
	free(f->message);
	f->message = NULL;
	release_location(&f->loc);
}

void guard_findings_release(struct guard_findings *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		guard_finding_release(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
	list->cap = 0;
}

static int compare_strings(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int compare_numbers(unsigned long a, unsigned long b)
{
	return (a > b) - (a < b);
}

static int compare_findings(const void *pa, const void *pb)
{
	const struct guard_finding *a = pa, *b = pb;
	int c;

	if ((c = compare_strings(a->loc.path, b->loc.path)) != 0 ||
	    (c = compare_strings(a->loc.commit, b->loc.commit)) != 0 ||
	    (c = compare_strings(a->loc.layer, b->loc.layer)) != 0 ||
	    (c = compare_numbers(a->loc.line, b->loc.line)) != 0 ||
	    (c = compare_numbers(a->loc.column, b->loc.column)) != 0)
		return c;
	return compare_strings(a->rule_id, b->rule_id);
}

void guard_findings_sort(struct guard_findings *list)
{
	if (list->count > 1)
		qsort(list->items, list->count, sizeof(list->items[0]), compare_findings);
}
