/* Content scanning: keyword hits, pattern windows, decoded values, and the
 * findings a file produces, in file order with exact lines and columns. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "log.h"
#include "scanner_int.h"
#include "util.h"

/* Bytes beyond a rule's reach given to the pattern, so that a look-ahead at
 * the end of a secret reads the real next byte. */
#define WINDOW_MARGIN 64

#define URL_RUN_MAX (64 * 1024)
#define JSON_STRING_MAX (256 * 1024)
#define DECODE_RUN_MAX (1024 * 1024)
#define DECODE_RUN_OVERLAP (64 * 1024)

#define FINDINGS_MAX 10000

#define ALLOW_MARKER "guard:allow"

struct pending {
	uint32_t rule;		/* index into scanner->rules */
	uint8_t depth;		/* 0: found in the file's text; >0: in decoded text */
	bool dropped;
	size_t start, end;	/* in the file's text; the encoded value for depth > 0 */
	size_t secret_length;
	char preview[48];
	char secret_hash[65];
};

struct scan_run {
	struct guard_scanner *scanner;
	struct scan_worker *worker;
	struct guard_scan_stats *stats;
	struct pending *items;
	size_t count;
	size_t cap;
	bool warned_full;
	struct guard_error *err;
	const char *path;
};

struct window {
	size_t start;
	size_t end;
	size_t last_end;	/* end of the last secret taken, to skip repeats */
	bool active;
};

/* One text being matched: the file itself, or a decoded value in it. */
struct level {
	struct scan_run *run;
	const char *text;
	size_t len;
	unsigned depth;
	size_t attr_start, attr_end;	/* where depth > 0 findings are reported */
	struct window *windows;		/* one per rule */
	int failed;
};

static int scan_level(struct scan_run *run, const char *text, size_t len, unsigned depth,
		      size_t attr_start, size_t attr_end);

static bool has_stopword(const struct guard_scanner *scanner, const char *value, size_t len)
{
	for (size_t i = 0; i < scanner->stopword_count; i++) {
		const char *word = scanner->stopwords[i];
		size_t n = strlen(word);

		for (size_t j = 0; n && j + n <= len; j++) {
			if (strncasecmp(value + j, word, n) == 0)
				return true;
		}
	}
	return false;
}

static int push_pending(struct scan_run *run, const struct pending *p)
{
	if (run->count == FINDINGS_MAX) {
		if (!run->warned_full) {
			guard_log_warn("more than %d findings in '%s': the rest of the file is not "
				       "reported", FINDINGS_MAX, run->path ? run->path : "-");
			run->warned_full = true;
		}
		return 0;
	}
	if (run->count == run->cap) {
		size_t cap = run->cap ? run->cap * 2 : 16;
		struct pending *items = reallocarray(run->items, cap, sizeof(*items));

		if (!items)
			return guard_error_oom(run->err);
		run->items = items;
		run->cap = cap;
	}
	run->items[run->count++] = *p;
	return 0;
}

/* Takes one secret: filters it, hashes it and keeps the redacted form. A
 * secret that spans lines is hashed without its carriage returns, so CRLF
 * and LF files give the same fingerprint. */
static int take_secret(struct level *lv, uint32_t rule_index, size_t start, size_t end)
{
	struct scan_run *run = lv->run;
	const struct guard_rule *rule = run->scanner->rules[rule_index].rule;
	const char *secret = lv->text + start;
	size_t len = end - start, n = 0;
	char small[512] = "";
	char *value = len <= sizeof(small) ? small : malloc(len);
	struct guard_finding f;
	struct pending p;
	int rc = 0;

	if (!value)
		return guard_error_oom(run->err);
	for (size_t i = 0; i < len; i++) {
		if (secret[i] != '\r')
			value[n++] = secret[i];
	}

	if (!guard_rule_accepts(rule, value, n))
		goto done;
	if (has_stopword(run->scanner, value, n)) {
		run->stats->findings_allowed++;
		goto done;
	}

	memset(&f, 0, sizeof(f));
	if (guard_finding_set_secret(&f, value, n, run->err) < 0) {
		rc = -1;
		goto done;
	}
	memset(&p, 0, sizeof(p));
	p.rule = rule_index;
	p.depth = (uint8_t)lv->depth;
	p.start = lv->depth ? lv->attr_start : start;
	p.end = lv->depth ? lv->attr_end : end;
	p.secret_length = f.secret_length;
	memcpy(p.preview, f.preview, sizeof(p.preview));
	memcpy(p.secret_hash, f.secret_hash, sizeof(p.secret_hash));
	rc = push_pending(run, &p);
done:
	guard_wipe(value, n);
	if (value != small)
		free(value);
	return rc;
}

/* Runs a rule's pattern over its current window. */
static int flush_window(struct level *lv, uint32_t rule_index)
{
	struct window *w = &lv->windows[rule_index];
	struct scan_worker *worker = lv->run->worker;
	const pcre2_code *code = lv->run->scanner->rules[rule_index].code;
	size_t offset = w->start;

	w->active = false;
	while (offset < w->end) {
		PCRE2_SIZE *ov;
		int rc = pcre2_match(code, (PCRE2_SPTR)lv->text, w->end, offset, 0,
				     worker->match_data, worker->match_context);

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			/* The match limit guards against hostile input; the rest of
			 * this window is given up and the gap is logged. */
			guard_log_debug("rule '%s' gave up on a window of '%s' (PCRE2 error %d)",
					lv->run->scanner->rules[rule_index].rule->id,
					lv->run->path ? lv->run->path : "-", rc);
			break;
		}
		ov = pcre2_get_ovector_pointer(worker->match_data);
		if (ov[2] != PCRE2_UNSET && ov[3] > ov[2] && ov[2] >= w->last_end) {
			if (take_secret(lv, rule_index, ov[2], ov[3]) < 0)
				return -1;
			w->last_end = ov[3];
		}
		offset = ov[1] > offset ? ov[1] : offset + 1;
	}
	return 0;
}

static int on_keyword(unsigned int id, unsigned long long from, unsigned long long to,
		      unsigned int flags, void *ctx)
{
	struct level *lv = ctx;
	const struct keyword *kw;
	const struct guard_rule *rule;
	struct window *w;
	size_t kw_start, start, end;

	(void)from;
	(void)flags;
	kw = &lv->run->scanner->keywords[id];
	rule = lv->run->scanner->rules[kw->rule].rule;
	w = &lv->windows[kw->rule];
	kw_start = (size_t)to - kw->len;
	start = kw_start > rule->before ? kw_start - rule->before : 0;
	end = (size_t)to + rule->after + WINDOW_MARGIN;
	if (end > lv->len)
		end = lv->len;

	if (w->active && start <= w->end && end - (start < w->start ? start : w->start) <= GUARD_SCANNER_WINDOW_MAX) {
		if (start < w->start)
			w->start = start;
		if (end > w->end)
			w->end = end;
		return 0;
	}
	if (w->active && flush_window(lv, kw->rule) < 0) {
		lv->failed = 1;
		return 1;
	}
	w->active = true;
	w->start = start;
	w->end = end;
	return 0;
}

static int match_keywords(struct level *lv)
{
	struct scan_run *run = lv->run;
	hs_error_t rc;

	if (!run->scanner->db || lv->len == 0)
		return 0;
	if (lv->len > UINT32_MAX)
		return guard_error_set(run->err, GUARD_ERR_LIMIT,
				       "cannot scan more than 4 GiB at once");

	rc = hs_scan(run->scanner->db, lv->text, (unsigned)lv->len, 0, run->worker->scratch[lv->depth],
		     on_keyword, lv);
	if (lv->failed)
		return -1;
	if (rc != HS_SUCCESS)
		return guard_error_set(run->err, GUARD_ERR_INTERNAL, "Vectorscan scan failed (%d)",
				       (int)rc);
	for (uint32_t r = 0; r < run->scanner->rule_count; r++) {
		if (lv->windows[r].active && flush_window(lv, r) < 0)
			return -1;
	}
	return 0;
}

/* Decoded values */

/* Scans decoded text found at [start, end) of the level's text. */
static int scan_decoded(struct level *lv, char *decoded, size_t n, size_t start, size_t end)
{
	size_t attr_start = lv->depth ? lv->attr_start : start;
	size_t attr_end = lv->depth ? lv->attr_end : end;
	int rc = scan_level(lv->run, decoded, n, lv->depth + 1, attr_start, attr_end);

	guard_wipe(decoded, n);
	return rc;
}

/* Standard and URL-safe base64 characters, without the '=' padding. */
static const unsigned char base64_chars[256] = {
	['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1,
	['+'] = 1, ['/'] = 1, ['-'] = 1, ['_'] = 1,
};

/* Base64 of text nearly always mixes upper case, lower case and digits
 * within a few dozen characters; identifiers and words rarely do. */
static bool looks_like_base64(const char *s, size_t len)
{
	bool upper = false, lower = false, digit = false;
	size_t n = len < 64 ? len : 64;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		upper |= c >= 'A' && c <= 'Z';
		lower |= c >= 'a' && c <= 'z';
		digit |= c >= '0' && c <= '9';
	}
	return upper && lower && digit;
}

/* Decodes len base64 characters at s and scans the result when it is text;
 * findings are reported at [start, end), the whole run. */
static int decode_base64_piece(struct level *lv, const char *s, size_t len, size_t start,
			       size_t end)
{
	unsigned char probe[48];
	size_t n, cap = len / 4 * 3 + 3;
	char *decoded;
	bool text;

	if (!looks_like_base64(s, len))
		return 0;

	/* Decode a little first: most base64 in source trees is binary data. */
	n = guard_decode_base64(s, len < 64 ? len - len % 4 : 64, probe, sizeof(probe));
	text = n != SIZE_MAX && n > 0 && guard_decode_is_text(probe, n);
	guard_wipe(probe, sizeof(probe));
	if (!text)
		return 0;

	decoded = malloc(cap);
	if (!decoded)
		return guard_error_oom(lv->run->err);
	n = guard_decode_base64(s, len, (unsigned char *)decoded, cap);
	if (n == SIZE_MAX || !guard_decode_is_text(decoded, n)) {
		guard_wipe(decoded, n == SIZE_MAX ? 0 : n);
		free(decoded);
		return 0;
	}
	if (scan_decoded(lv, decoded, n, start, end) < 0) {
		free(decoded);
		return -1;
	}
	free(decoded);
	return 0;
}

/* Decodes the base64 run [start, end) in pieces of at most DECODE_RUN_MAX
 * characters that overlap by DECODE_RUN_OVERLAP, so that memory stays
 * bounded and a secret that crosses a piece boundary is still whole in one
 * piece. Every piece starts at a multiple of 4 characters into the run. */
static int decode_base64_run(struct level *lv, size_t start, size_t end)
{
	const size_t step = DECODE_RUN_MAX - DECODE_RUN_OVERLAP;
	size_t total = end - start;

	for (size_t offset = 0; offset < total; offset += step) {
		size_t len = total - offset < DECODE_RUN_MAX ? total - offset : DECODE_RUN_MAX;

		if (decode_base64_piece(lv, lv->text + start + offset, len, start, end) < 0)
			return -1;
		if (offset + len == total)
			break;
	}
	return 0;
}

/* Finds runs of at least GUARD_SCANNER_BASE64_RUN_MIN base64 characters.
 * Like Boyer-Moore, it looks at the last byte a run from start would need,
 * and skips the whole stretch when that byte ends a run early, so most
 * text is looked at a few bytes per step instead of byte by byte. */
static int decode_base64_runs(struct level *lv)
{
	const unsigned char *t = (const unsigned char *)lv->text;
	const size_t min = GUARD_SCANNER_BASE64_RUN_MIN;
	size_t start = 0;

	while (start + min <= lv->len) {
		size_t last = start + min - 1, back = last, end;

		if (!base64_chars[t[last]]) {
			start = last + 1;
			continue;
		}
		while (back > start && base64_chars[t[back - 1]])
			back--;
		if (back > start) {
			start = back;
			continue;
		}

		/* [start, last] are all base64: the run is long enough. */
		end = last + 1;
		while (end < lv->len && base64_chars[t[end]])
			end++;
		while (end < lv->len && t[end] == '=')
			end++;
		if (decode_base64_run(lv, start, end) < 0)
			return -1;
		start = end;
	}
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' &&
	       c != '`' && c != '\\' && c != '{' && c != '}';
}

static int decode_url_runs(struct level *lv)
{
	const char *t = lv->text;
	size_t i = 0;

	while (i + 2 < lv->len) {
		const char *pct = memchr(t + i, '%', lv->len - i - 2);
		size_t at, start, end, n;
		char *decoded;

		if (!pct)
			break;
		at = (size_t)(pct - t);
		if (!is_hex(t[at + 1]) || !is_hex(t[at + 2])) {
			i = at + 1;
			continue;
		}
		start = at;
		while (start > i && at - start < URL_RUN_MAX && is_url_char((unsigned char)t[start - 1]))
			start--;
		end = at;
		while (end < lv->len && end - start < URL_RUN_MAX && is_url_char((unsigned char)t[end]))
			end++;
		i = end;

		decoded = malloc(end - start);
		if (!decoded)
			return guard_error_oom(lv->run->err);
		n = guard_decode_url(t + start, end - start, decoded);
		if (scan_decoded(lv, decoded, n, start, end) < 0) {
			free(decoded);
			return -1;
		}
		free(decoded);
	}
	return 0;
}

/* A JSON (or YAML double-quoted) string with several "\n" escapes may hold
 * a PEM key or another multi-line secret written on one line. */
static int decode_json_strings(struct level *lv)
{
	const char *t = lv->text;
	size_t i = 0, floor = 0;

	while (i + 1 < lv->len) {
		const char *bs = memchr(t + i, '\\', lv->len - i - 1);
		size_t at, start, end, escapes = 0, n;
		char *decoded;

		if (!bs)
			break;
		at = (size_t)(bs - t);
		i = at + 2;
		if (t[at + 1] != 'n')
			continue;

		/* The opening quote, on the same line and after the last string. */
		start = at;
		while (start > floor && at - start < JSON_STRING_MAX && t[start - 1] != '"' &&
		       t[start - 1] != '\n')
			start--;
		if (start == 0 || t[start - 1] != '"')
			continue;
		for (end = start; end < lv->len && end - start < JSON_STRING_MAX; end++) {
			if (t[end] == '\\') {
				escapes += end + 1 < lv->len && t[end + 1] == 'n';
				end++;
			} else if (t[end] == '"' || t[end] == '\n') {
				break;
			}
		}
		if (end > lv->len)
			end = lv->len;
		floor = end;
		i = end > i ? end : i;
		if (escapes < 2 || end - start < 64)
			continue;

		decoded = malloc(end - start);
		if (!decoded)
			return guard_error_oom(lv->run->err);
		n = guard_decode_json_string(t + start, end - start, decoded);
		if (scan_decoded(lv, decoded, n, start, end) < 0) {
			free(decoded);
			return -1;
		}
		free(decoded);
	}
	return 0;
}

static int scan_level(struct scan_run *run, const char *text, size_t len, unsigned depth,
		      size_t attr_start, size_t attr_end)
{
	struct level lv = {
		.run = run, .text = text, .len = len, .depth = depth,
		.attr_start = attr_start, .attr_end = attr_end,
	};
	int rc = -1;

	lv.windows = calloc(run->scanner->rule_count ? run->scanner->rule_count : 1,
			    sizeof(*lv.windows));
	if (!lv.windows)
		return guard_error_oom(run->err);

	if (match_keywords(&lv) < 0)
		goto done;
	if (depth < GUARD_SCANNER_DECODE_DEPTH &&
	    (decode_base64_runs(&lv) < 0 || decode_url_runs(&lv) < 0 ||
	     decode_json_strings(&lv) < 0))
		goto done;
	rc = 0;
done:
	free(lv.windows);
	return rc;
}

/* Reporting */

static int compare_pending(const void *pa, const void *pb)
{
	const struct pending *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return strcmp(a->secret_hash, b->secret_hash);
}

static bool is_generic(const struct scan_run *run, const struct pending *p)
{
	return run->scanner->rules[p->rule].rule->filters & GUARD_FILTER_GENERIC;
}

/* Whether b makes a redundant: the same secret twice, a generic rule where
 * a specific one matched, or a decoded value whose clear text was found. */
static bool makes_redundant(const struct scan_run *run, const struct pending *a,
			    const struct pending *b)
{
	if (a->rule == b->rule && a->start == b->start && strcmp(a->secret_hash, b->secret_hash) == 0)
		return b->depth < a->depth || (b->depth == a->depth && b < a);
	if (is_generic(run, a) && !is_generic(run, b))
		return true;
	if (a->depth > 0 && b->depth == 0 && (!is_generic(run, b) || is_generic(run, a)))
		return true;
	return false;
}

static void drop_redundant(struct scan_run *run)
{
	for (size_t i = 0; i < run->count; i++) {
		struct pending *a = &run->items[i];

		/* Sorted by start: earlier items overlap when they end after a
		 * starts, later ones while they start before a ends. */
		for (size_t j = i; j-- > 0 && !a->dropped; ) {
			const struct pending *b = &run->items[j];

			if (b->end > a->start && !b->dropped && makes_redundant(run, a, b))
				a->dropped = true;
			if (i - j > 64)
				break;
		}
		for (size_t j = i + 1; j < run->count && run->items[j].start < a->end &&
		     !a->dropped; j++) {
			if (!run->items[j].dropped && makes_redundant(run, a, &run->items[j]))
				a->dropped = true;
		}
	}
}

struct line_cursor {
	const char *text;
	size_t len;
	size_t offset;		/* start of the current line */
	unsigned line;
	size_t allow_checked;	/* line start whose marker was looked up, +1 */
	bool allowed;
};

/* Moves the cursor to the line containing pos (pos never goes back). */
static void cursor_seek(struct line_cursor *c, size_t pos)
{
	for (;;) {
		const char *nl = memchr(c->text + c->offset, '\n', pos - c->offset);

		if (!nl)
			return;
		c->offset = (size_t)(nl - c->text) + 1;
		if (c->line < UINT32_MAX)
			c->line++;
	}
}

static bool cursor_line_allowed(struct line_cursor *c)
{
	const char *line = c->text + c->offset;
	const char *nl;
	size_t n;

	if (c->allow_checked == c->offset + 1)
		return c->allowed;
	nl = memchr(line, '\n', c->len - c->offset);
	n = nl ? (size_t)(nl - line) : c->len - c->offset;
	c->allowed = memmem(line, n, ALLOW_MARKER, sizeof(ALLOW_MARKER) - 1) != NULL;
	c->allow_checked = c->offset + 1;
	return c->allowed;
}

static unsigned column_of(size_t offset)
{
	return offset >= UINT32_MAX ? UINT32_MAX : (unsigned)offset + 1;
}

static int report_pending(struct scan_run *run, const char *text, size_t len,
			  const struct guard_location *loc, guard_finding_fn fn, void *ctx)
{
	struct line_cursor cursor = { .text = text, .len = len, .line = 1 };

	for (size_t i = 0; i < run->count; i++) {
		const struct pending *p = &run->items[i];
		const struct guard_rule *rule = run->scanner->rules[p->rule].rule;
		struct guard_finding f;
		const char *nl;
		size_t first_line_end;

		if (p->dropped)
			continue;
		cursor_seek(&cursor, p->start);
		if (cursor_line_allowed(&cursor)) {
			run->stats->findings_allowed++;
			continue;
		}

		/* The end column is on the first line of a multi-line secret. */
		nl = memchr(text + p->start, '\n', p->end - p->start);
		first_line_end = nl ? (size_t)(nl - text) : p->end;
		if (nl && first_line_end > p->start && text[first_line_end - 1] == '\r')
			first_line_end--;

		memset(&f, 0, sizeof(f));
		f.rule_id = rule->id;
		f.description = rule->description;
		f.severity = rule->severity;
		f.hint = rule->hint;
		if (loc)
			f.loc = *loc;
		f.loc.line = cursor.line;
		f.loc.column = column_of(p->start - cursor.offset);
		f.loc.end_column = column_of(first_line_end - cursor.offset);
		f.loc.column_utf16 = guard_utf16_column(text + cursor.offset, p->start - cursor.offset);
		f.loc.end_column_utf16 = guard_utf16_column(text + cursor.offset,
							    first_line_end - cursor.offset);
		memcpy(f.preview, p->preview, sizeof(f.preview));
		f.secret_length = p->secret_length;
		memcpy(f.secret_hash, p->secret_hash, sizeof(f.secret_hash));
		if (guard_finding_fingerprint(&f, run->err) < 0)
			return -1;
		if (fn(&f, ctx, run->err) < 0)
			return -1;
	}
	return 0;
}

/* Picks the text to match: the data as is, or its UTF-8 form. Returns 1
 * for a binary file that is not scanned. */
static int prepare_text(const void *data, size_t len, bool keystore, struct guard_buf *utf8,
			const char **text, size_t *text_len, struct guard_error *err)
{
	size_t bom = 0;
	enum guard_text_encoding encoding = GUARD_TEXT_BYTES;

	if (!keystore)
		encoding = guard_decode_sniff_utf16(data, len, &bom);
	if (encoding != GUARD_TEXT_BYTES) {
		if (guard_decode_utf16((const char *)data + bom, len - bom, encoding, utf8, err) < 0)
			return -1;
		*text = utf8->data ? utf8->data : "";
		*text_len = utf8->len;
		return 0;
	}
	if (!keystore && guard_decode_is_binary(data, len))
		return 1;
	*text = data;
	*text_len = len;
	return 0;
}

int guard_scanner_scan(struct guard_scanner *scanner, const struct guard_location *loc,
		       const void *data, size_t len, struct guard_scan_stats *stats,
		       guard_finding_fn fn, void *ctx, struct guard_error *err)
{
	struct guard_scan_stats ignored = { 0 };
	struct guard_buf utf8;
	struct scan_run run = { .scanner = scanner, .err = err };
	const char *path = loc && loc->path ? loc->path : "-";
	bool keystore = loc && guard_scanner_name_is_keystore(loc->path);
	const char *text;
	size_t text_len;
	bool cut;
	int rc;

	run.stats = stats ? stats : &ignored;
	run.path = path;
	if (len == 0) {
		run.stats->files_scanned++;
		return 0;
	}
	cut = len > scanner->max_file_size;
	if (cut)
		len = (size_t)scanner->max_file_size;

	/* UTF-16 text grows by half at most when it becomes UTF-8. */
	guard_buf_init(&utf8, len + len / 2 + 16);
	rc = prepare_text(data, len, keystore, &utf8, &text, &text_len, err);
	if (rc != 0) {
		guard_buf_release(&utf8);
		if (rc < 0)
			return -1;
		guard_log_debug("skipped binary file '%s'", path);
		run.stats->files_binary++;
		return 0;
	}
	if (cut) {
		/* Counted here; the source reports it, as a problem that keeps the
		 * scan from passing as clean. */
		guard_log_info("scanned only the first %llu bytes of '%s': the file is larger "
			       "than scan.max-file-size", (unsigned long long)scanner->max_file_size,
			       path);
		run.stats->files_too_large++;
	}
	run.stats->files_scanned++;
	run.stats->bytes_scanned += len;

	run.worker = guard_scanner_acquire(scanner, err);
	if (!run.worker) {
		guard_buf_release_secret(&utf8);
		return -1;
	}
	rc = scan_level(&run, text, text_len, 0, 0, 0);
	guard_scanner_release(scanner, run.worker);

	if (rc == 0 && run.count > 0) {
		qsort(run.items, run.count, sizeof(*run.items), compare_pending);
		drop_redundant(&run);
		rc = report_pending(&run, text, text_len, loc, fn, ctx);
	}
	free(run.items);
	guard_buf_release_secret(&utf8);
	return rc;
}
