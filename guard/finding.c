/* Findings: the redacted preview, fingerprints, and the list every source
 * appends to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "finding.h"
#include "util.h"

/* Leading characters of the secret that its preview shows: none below 8
 * bytes, then a quarter of the length, at most 4. So no preview shows more
 * than a quarter of its secret. */
#define PREVIEW_MIN_LENGTH 8
#define PREVIEW_MAX_SHOWN 4

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
	size_t i;

	for (i = 0; name && i < GUARD_ARRAY_SIZE(severity_names); i++) {
		if (strcasecmp(name, severity_names[i]) == 0) {
			*out = (enum guard_severity)i;
			return 0;
		}
	}
	return -1;
}

static size_t preview_prefix_length(const unsigned char *secret, size_t len)
{
	size_t prefix, i;

	if (len < PREVIEW_MIN_LENGTH)
		return 0;
	prefix = len / 4;
	if (prefix > PREVIEW_MAX_SHOWN)
		prefix = PREVIEW_MAX_SHOWN;

	/* Only printable ASCII reaches the preview, so it never carries a
	 * control sequence or a broken UTF-8 sequence into a report. */
	for (i = 0; i < prefix; i++)
		if (secret[i] < 0x21 || secret[i] > 0x7e)
			break;
	return i;
}

int guard_finding_set_secret(struct guard_finding *f, const void *secret, size_t len,
			     struct guard_error *err)
{
	size_t prefix = preview_prefix_length(secret, len);
	int n;

	n = snprintf(f->preview, sizeof(f->preview), "%.*s\xe2\x80\xa6(%zu %s)", (int)prefix,
		     (const char *)secret, len, len == 1 ? "char" : "chars");
	if (n < 0 || (size_t)n >= sizeof(f->preview))
		return guard_error_set(err, GUARD_ERR_INTERNAL, "secret preview does not fit");
	f->secret_length = len;
	return guard_sha256_hex(secret, len, f->secret_hash, err);
}

/* The source names where the bytes live independently of their position:
 * the path (or, without one, the origin such as "config.Env") and the
 * commit or layer that contains them. */
int guard_finding_fingerprint(struct guard_finding *f, struct guard_error *err)
{
	const struct guard_location *loc = &f->loc;
	const char *path = "", *holder = "";
	size_t path_len, holder_len;
	char source_hash[65];
	char *source;
	int n;

	if (loc->path)
		path = loc->path;
	else if (loc->origin)
		path = loc->origin;
	if (loc->commit)
		holder = loc->commit;
	else if (loc->layer)
		holder = loc->layer;
	path_len = strlen(path);
	holder_len = strlen(holder);

	if (!f->rule_id || !f->rule_id[0])
		return guard_error_set(err, GUARD_ERR_INTERNAL, "finding without a rule id");
	if (strlen(f->secret_hash) != 64)
		return guard_error_set(err, GUARD_ERR_INTERNAL,
				       "finding of rule '%s' has no secret hash", f->rule_id);

	source = malloc(path_len + 1 + holder_len);
	if (!source)
		return guard_error_oom(err);
	memcpy(source, path, path_len);
	source[path_len] = '\0';
	memcpy(source + path_len + 1, holder, holder_len);
	n = guard_sha256_hex(source, path_len + 1 + holder_len, source_hash, err);
	free(source);
	if (n < 0)
		return -1;

	n = snprintf(f->fingerprint, sizeof(f->fingerprint), "%s:%.16s:%.16s", f->rule_id,
		     source_hash, f->secret_hash);
	if (n < 0 || (size_t)n >= sizeof(f->fingerprint))
		return guard_error_set(err, GUARD_ERR_INTERNAL,
				       "rule id '%s' is too long for a fingerprint", f->rule_id);
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
	dst->path = dst->commit = dst->author = dst->date = dst->subject = NULL;
	dst->image = dst->platform = dst->layer = dst->step = dst->origin = NULL;

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

static int findings_grow(struct guard_findings *list, struct guard_error *err)
{
	struct guard_finding *items;
	size_t cap;

	if (list->count < list->cap)
		return 0;
	cap = list->cap ? list->cap * 2 : 16;
	if (cap > SIZE_MAX / sizeof(*items))
		return guard_error_oom(err);
	items = realloc(list->items, cap * sizeof(*items));
	if (!items)
		return guard_error_oom(err);
	list->items = items;
	list->cap = cap;
	return 0;
}

int guard_findings_add(struct guard_findings *list, const struct guard_finding *src,
		       struct guard_error *err)
{
	struct guard_finding *dst;

	if (findings_grow(list, err) < 0)
		return -1;

	dst = &list->items[list->count];
	*dst = *src;
	dst->message = NULL;
	if (copy_string(&dst->message, src->message, err) < 0 ||
	    copy_location(&dst->loc, &src->loc, err) < 0) {
		guard_finding_release(dst);
		return -1;
	}
	list->count++;
	return 0;
}

void guard_finding_release(struct guard_finding *f)
{
	struct guard_location *loc = &f->loc;

	free(f->message);
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
	f->message = NULL;
	memset(loc, 0, sizeof(*loc));
}

void guard_findings_release(struct guard_findings *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		guard_finding_release(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = list->cap = 0;
}

void guard_findings_remove(struct guard_findings *list, size_t index)
{
	if (index >= list->count)
		return;
	guard_finding_release(&list->items[index]);
	memmove(&list->items[index], &list->items[index + 1],
		(list->count - index - 1) * sizeof(list->items[0]));
	list->count--;
}

/* NULL sorts before any string, so findings without a commit come first. */
static int compare_strings(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int compare_unsigned(unsigned long long a, unsigned long long b)
{
	return (a > b) - (a < b);
}

static int compare_findings(const void *pa, const void *pb)
{
	const struct guard_finding *a = pa, *b = pb;
	int c;

	if ((c = compare_strings(a->loc.path, b->loc.path)) != 0 ||
	    (c = compare_strings(a->loc.origin, b->loc.origin)) != 0 ||
	    (c = compare_strings(a->loc.commit, b->loc.commit)) != 0 ||
	    (c = compare_strings(a->loc.image, b->loc.image)) != 0 ||
	    (c = compare_strings(a->loc.platform, b->loc.platform)) != 0 ||
	    (c = compare_unsigned((unsigned)a->loc.layer_index, (unsigned)b->loc.layer_index)) != 0 ||
	    (c = compare_strings(a->loc.layer, b->loc.layer)) != 0 ||
	    (c = compare_unsigned(a->loc.line, b->loc.line)) != 0 ||
	    (c = compare_unsigned(a->loc.column, b->loc.column)) != 0 ||
	    (c = compare_strings(a->rule_id, b->rule_id)) != 0)
		return c;
	return strcmp(a->fingerprint, b->fingerprint);
}

void guard_findings_sort(struct guard_findings *list)
{
	if (list->count > 1)
		qsort(list->items, list->count, sizeof(list->items[0]), compare_findings);
}

unsigned guard_utf16_column(const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i, units = 0, follow = 0;

	for (i = 0; i < len; i++) {
		if (follow && (p[i] & 0xc0) == 0x80) {
			follow--;
			continue;
		}
		follow = 0;
		if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			units += 2;
			follow = 3;
		} else {
			units++;
			if (p[i] >= 0xc2 && p[i] <= 0xdf)
				follow = 1;
			else if (p[i] >= 0xe0 && p[i] <= 0xef)
				follow = 2;
		}
	}
	return units >= UINT32_MAX ? UINT32_MAX : (unsigned)units + 1;
}
