/* Byte-exact edits of a file held in memory: a list of insertions and
 * replacements at byte offsets of the original text, applied in one pass so
 * that every byte outside the edited ranges is copied unchanged, and a
 * unified diff of the same edits. */
#ifndef GUARD_REWRITE_H
#define GUARD_REWRITE_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Replaces the bytes [start, end) of the original text with text. An
 * insertion has start == end. */
struct guard_edit {
	size_t start;
	size_t end;
	char *text;	/* owned */
	size_t text_len;
};

struct guard_rewrite {
	struct guard_edit *edits;
	size_t count;
	size_t cap;
};

void guard_rewrite_init(struct guard_rewrite *rewrite);
void guard_rewrite_release(struct guard_rewrite *rewrite);

/* Records an insertion of text before byte offset at. The text is copied. */
int guard_rewrite_insert(struct guard_rewrite *rewrite, size_t at, const char *text,
			 struct guard_error *err);

/* Records a replacement of the bytes [start, end) with text. */
int guard_rewrite_replace(struct guard_rewrite *rewrite, size_t start, size_t end,
			  const char *text, struct guard_error *err);

/* Sorts the edits by position and checks them against a text of len bytes:
 * every range must lie inside the text, and no two edits may overlap or
 * share an insertion point. Failures are GUARD_ERR_INTERNAL because the
 * callers compute the positions. guard_rewrite_apply and
 * guard_rewrite_diff call it themselves. */
int guard_rewrite_check(struct guard_rewrite *rewrite, size_t len, struct guard_error *err);

/* Appends the edited text to out. */
int guard_rewrite_apply(struct guard_rewrite *rewrite, const char *text, size_t len,
			struct guard_buf *out, struct guard_error *err);

/* Appends a unified diff of the edits to out: "--- a/LABEL", "+++ b/LABEL",
 * then hunks with three lines of context. Lines are copied with their line
 * endings, so CRLF lines stay CRLF; a last line without a newline is
 * followed by "\ No newline at end of file". Appends nothing when there are
 * no edits. */
int guard_rewrite_diff(struct guard_rewrite *rewrite, const char *text, size_t len,
		       const char *label, struct guard_buf *out, struct guard_error *err);

#endif
