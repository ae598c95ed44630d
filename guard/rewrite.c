#include "rewrite.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_CONTEXT 3

void guard_rewrite_init(struct guard_rewrite *rewrite)
{
	memset(rewrite, 0, sizeof(*rewrite));
}

void guard_rewrite_release(struct guard_rewrite *rewrite)
{
	size_t i;

	for (i = 0; i < rewrite->count; i++)
		free(rewrite->edits[i].text);
	free(rewrite->edits);
	memset(rewrite, 0, sizeof(*rewrite));
}

int guard_rewrite_replace(struct guard_rewrite *rewrite, size_t start, size_t end,
			  const char *text, struct guard_error *err)
{
	struct guard_edit *edit;
	size_t len = strlen(text);

	if (end < start)
		return guard_error_set(err, GUARD_ERR_INTERNAL,
				       "edit range %zu-%zu ends before it starts", start, end);
	if (rewrite->count == rewrite->cap) {
		size_t cap = rewrite->cap ? rewrite->cap * 2 : 8;
		struct guard_edit *grown = realloc(rewrite->edits, cap * sizeof(*grown));

		if (!grown)
			return guard_error_oom(err);
		rewrite->edits = grown;
		rewrite->cap = cap;
	}

	edit = &rewrite->edits[rewrite->count];
	edit->text = malloc(len + 1);
	if (!edit->text)
		return guard_error_oom(err);
	memcpy(edit->text, text, len + 1);
	edit->start = start;
	edit->end = end;
	edit->text_len = len;
	rewrite->count++;
	return 0;
}

int guard_rewrite_insert(struct guard_rewrite *rewrite, size_t at, const char *text,
			 struct guard_error *err)
{
	return guard_rewrite_replace(rewrite, at, at, text, err);
}

static int compare_edits(const void *a, const void *b)
{
	const struct guard_edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

int guard_rewrite_check(struct guard_rewrite *rewrite, size_t len, struct guard_error *err)
{
	size_t i;

	if (rewrite->count > 1)
		qsort(rewrite->edits, rewrite->count, sizeof(*rewrite->edits), compare_edits);
	for (i = 0; i < rewrite->count; i++) {
		const struct guard_edit *edit = &rewrite->edits[i];

		if (edit->end > len)
			return guard_error_set(err, GUARD_ERR_INTERNAL,
					       "edit range %zu-%zu lies outside a text of %zu bytes",
					       edit->start, edit->end, len);
		/* Two insertions at one offset would have no defined order. */
		if (i > 0 && (edit->start < rewrite->edits[i - 1].end ||
			      edit->start == rewrite->edits[i - 1].start))
			return guard_error_set(err, GUARD_ERR_INTERNAL,
					       "edits at bytes %zu and %zu overlap",
					       rewrite->edits[i - 1].start, edit->start);
	}
	return 0;
}

/* Appends text[from, to) with the edits that start inside it applied. An
 * insertion at to belongs to the next range, unless to is the end of the
 * text (len). */
static int apply_range(const struct guard_rewrite *rewrite, const char *text, size_t len,
		       size_t from, size_t to, struct guard_buf *out, struct guard_error *err)
{
	size_t pos = from, i;

	for (i = 0; i < rewrite->count; i++) {
		const struct guard_edit *edit = &rewrite->edits[i];

		if (edit->start < from || edit->start > to || (edit->start == to && to != len))
			continue;
		if (guard_buf_append(out, text + pos, edit->start - pos, err) < 0 ||
		    guard_buf_append(out, edit->text, edit->text_len, err) < 0)
			return -1;
		pos = edit->end;
	}
	return guard_buf_append(out, text + pos, to - pos, err);
}

int guard_rewrite_apply(struct guard_rewrite *rewrite, const char *text, size_t len,
			struct guard_buf *out, struct guard_error *err)
{
	if (guard_rewrite_check(rewrite, len, err) < 0)
		return -1;
	return apply_range(rewrite, text, len, 0, len, out, err);
}

/* Line table of a text: starts[i] is the offset of line i, starts[count] is
 * len. A last line without a newline counts as a line. */
struct lines {
	size_t *starts;
	size_t count;
};

static int lines_index(struct lines *lines, const char *text, size_t len,
		       struct guard_error *err)
{
	size_t n = 0, i, k = 0;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	if (len > 0 && text[len - 1] != '\n')
		n++;
	lines->starts = malloc((n + 1) * sizeof(*lines->starts));
	if (!lines->starts)
		return guard_error_oom(err);
	lines->count = n;
	if (n > 0)
		lines->starts[k++] = 0;
	for (i = 0; i + 1 < len; i++)
		if (text[i] == '\n')
			lines->starts[k++] = i + 1;
	lines->starts[n] = len;
	return 0;
}

/* Returns the line that contains byte offset; the end of the text belongs
 * to the last line. */
static size_t line_of(const struct lines *lines, size_t offset)
{
	size_t lo = 0, hi = lines->count;

	if (lines->count == 0)
		return 0;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (lines->starts[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Old lines [first, last] that some edits change (last = first - 1 for
 * an insertion into an empty text), and what replaces them. */
struct change {
	size_t first;
	size_t end;		/* one past the last old line */
	struct guard_buf text;	/* the new lines */
	size_t new_count;
};

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	if (len > 0 && text[len - 1] != '\n')
		n++;
	return n;
}

static int collect_changes(struct guard_rewrite *rewrite, const struct lines *lines,
			   struct change **out, size_t *count, struct guard_error *err)
{
	struct change *changes = calloc(rewrite->count ? rewrite->count : 1, sizeof(*changes));
	size_t n = 0, i;

	if (!changes)
		return guard_error_oom(err);
	for (i = 0; i < rewrite->count; i++) {
		const struct guard_edit *edit = &rewrite->edits[i];
		size_t first = line_of(lines, edit->start);
		size_t last = line_of(lines, edit->end > edit->start ? edit->end - 1 : edit->start);
		size_t end = lines->count ? last + 1 : 0;

		if (n > 0 && first < changes[n - 1].end) {
			if (end > changes[n - 1].end)
				changes[n - 1].end = end;
			continue;
		}
		changes[n].first = first;
		changes[n].end = end;
		n++;
	}
	*out = changes;
	*count = n;
	return 0;
}

static int emit_line(struct guard_buf *out, char mark, const char *line, size_t len,
		     struct guard_error *err)
{
	if (guard_buf_putc(out, mark, err) < 0 || guard_buf_append(out, line, len, err) < 0)
		return -1;
	if (len == 0 || line[len - 1] != '\n')
		return guard_buf_puts(out, "\n\\ No newline at end of file\n", err);
	return 0;
}

static int emit_old_lines(struct guard_buf *out, char mark, const char *text,
			  const struct lines *lines, size_t from, size_t to,
			  struct guard_error *err)
{
	size_t i;

	for (i = from; i < to; i++)
		if (emit_line(out, mark, text + lines->starts[i],
			      lines->starts[i + 1] - lines->starts[i], err) < 0)
			return -1;
	return 0;
}

static int emit_new_lines(struct guard_buf *out, const struct change *change,
			  struct guard_error *err)
{
	const char *p = change->text.data, *end = p + change->text.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (emit_line(out, '+', p, len, err) < 0)
			return -1;
		p += len;
	}
	return 0;
}

static int emit_range(struct guard_buf *out, char sign, size_t start, size_t count,
		      struct guard_error *err)
{
	/* diff -u writes a one-line range as its start alone and an empty
	 * range as the line before it. */
	if (count == 1)
		return guard_buf_printf(out, err, "%c%zu", sign, start + 1);
	return guard_buf_printf(out, err, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

static int emit_hunk(struct guard_buf *out, const char *text, const struct lines *lines,
		     const struct change *changes, size_t a, size_t b, long delta,
		     struct guard_error *err)
{
	size_t from = changes[a].first > DIFF_CONTEXT ? changes[a].first - DIFF_CONTEXT : 0;
	size_t to = changes[b].end + DIFF_CONTEXT < lines->count ?
		    changes[b].end + DIFF_CONTEXT : lines->count;
	size_t old_count = to - from, new_count = old_count, pos = from, i;

	for (i = a; i <= b; i++)
		new_count = new_count - (changes[i].end - changes[i].first) + changes[i].new_count;

	if (guard_buf_puts(out, "@@ ", err) < 0 ||
	    emit_range(out, '-', from, old_count, err) < 0 ||
	    guard_buf_putc(out, ' ', err) < 0 ||
	    emit_range(out, '+', (size_t)((long)from + delta), new_count, err) < 0 ||
	    guard_buf_puts(out, " @@\n", err) < 0)
		return -1;

	for (i = a; i <= b; i++) {
		if (emit_old_lines(out, ' ', text, lines, pos, changes[i].first, err) < 0 ||
		    emit_old_lines(out, '-', text, lines, changes[i].first, changes[i].end, err) < 0 ||
		    emit_new_lines(out, &changes[i], err) < 0)
			return -1;
		pos = changes[i].end;
	}
	return emit_old_lines(out, ' ', text, lines, pos, to, err);
}

static int emit_hunks(struct guard_buf *out, const char *text, const struct lines *lines,
		      const struct change *changes, size_t count, struct guard_error *err)
{
	long delta = 0;
	size_t a = 0;

	while (a < count) {
		size_t b = a, i;
		long hunk_delta = 0;

		/* Changes whose contexts touch or overlap share one hunk. */
		while (b + 1 < count && changes[b + 1].first - changes[b].end <= 2 * DIFF_CONTEXT)
			b++;
		if (emit_hunk(out, text, lines, changes, a, b, delta, err) < 0)
			return -1;
		for (i = a; i <= b; i++)
			hunk_delta += (long)changes[i].new_count -
				      (long)(changes[i].end - changes[i].first);
		delta += hunk_delta;
		a = b + 1;
	}
	return 0;
}

int guard_rewrite_diff(struct guard_rewrite *rewrite, const char *text, size_t len,
		       const char *label, struct guard_buf *out, struct guard_error *err)
{
	struct lines lines = { NULL, 0 };
	struct change *changes = NULL;
	size_t count = 0, i;
	int rc = -1;

	if (guard_rewrite_check(rewrite, len, err) < 0)
		return -1;
	if (rewrite->count == 0)
		return 0;
	if (lines_index(&lines, text, len, err) < 0 ||
	    collect_changes(rewrite, &lines, &changes, &count, err) < 0)
		goto done;

	for (i = 0; i < count; i++) {
		struct change *change = &changes[i];

		guard_buf_init(&change->text, (size_t)-1);
		if (apply_range(rewrite, text, len, lines.starts[change->first],
				lines.starts[change->end], &change->text, err) < 0)
			goto done;
		change->new_count = count_lines(change->text.data, change->text.len);
	}

	if (guard_buf_printf(out, err, "--- a/%s\n+++ b/%s\n", label, label) < 0 ||
	    emit_hunks(out, text, &lines, changes, count, err) < 0)
		goto done;
	rc = 0;

done:
	for (i = 0; changes && i < count; i++)
		guard_buf_release(&changes[i].text);
	free(changes);
	free(lines.starts);
	return rc;
}
