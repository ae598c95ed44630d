/* The Dockerfile reader: physical lines, parser directives, continuation
 * lines and the digest rewriter, following BuildKit's
 * frontend/dockerfile/parser package. One instruction is split in
 * dockerfile_instr.c, substitution is in dockerfile_expand.c and the pin
 * plan in dockerfile_plan.c. */
#include "dockerfile_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

bool df_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

void df_position(const struct guard_dockerfile *df, size_t offset, unsigned *line,
		 unsigned *column)
{
	const struct df_full *full = (const struct df_full *)df;
	size_t lo = 0, hi = full->line_count;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (full->line_starts[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	*line = (unsigned)lo + 1;
	*column = full->line_count ? (unsigned)(offset - full->line_starts[lo]) + 1 : 1;
}

const struct df_text *df_logical(const struct guard_dockerfile *df, size_t instruction)
{
	return &((const struct df_full *)df)->logical[instruction];
}

size_t df_logical_index(const struct df_text *t, size_t offset)
{
	size_t lo = 0, hi = t->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->src[mid] < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int df_warn(struct guard_dockerfile *df, unsigned line, struct guard_error *err,
	    const char *fmt, ...)
{
	struct guard_buf buf = GUARD_BUF_INIT(4096);
	char **grown;
	va_list ap;
	int rc;

	if (guard_buf_printf(&buf, err, "%s:%u: ", df->path, line) < 0)
		goto fail;
	va_start(ap, fmt);
	rc = guard_buf_vprintf(&buf, err, fmt, ap);
	va_end(ap);
	if (rc < 0)
		goto fail;
	grown = realloc(df->warnings, (df->warning_count + 1) * sizeof(*grown));
	if (!grown) {
		guard_error_oom(err);
		goto fail;
	}
	df->warnings = grown;
	grown[df->warning_count] = guard_buf_detach(&buf, NULL);
	if (!grown[df->warning_count])
		return guard_error_oom(err);
	df->warning_count++;
	return 0;
fail:
	guard_buf_release(&buf);
	return -1;
}

int df_parse_error(struct df_reader *rd, size_t line_index, const char *fmt, ...)
{
	char what[GUARD_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return guard_error_set(rd->err, GUARD_ERR_PARSE, "%s:%zu: %s", rd->df->path,
			       line_index + 1, what);
}

/* Splits the buffer into physical lines, enforcing the line cap. */
static int split_lines(struct df_reader *rd)
{
	struct df_full *full = rd->full;
	const char *data = full->pub.data;
	size_t len = full->pub.len;
	size_t pos = full->pub.bom ? 3 : 0;
	size_t cap = 0;

	while (pos < len || full->line_count == 0) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		size_t content_end = end;

		if (content_end > pos && data[content_end - 1] == '\r')
			content_end--;
		if (content_end - pos > GUARD_DOCKERFILE_MAX_LINE)
			return guard_error_set(rd->err, GUARD_ERR_LIMIT,
					       "%s:%zu: line exceeds the %zu byte limit",
					       full->pub.path, full->line_count + 1,
					       GUARD_DOCKERFILE_MAX_LINE);
		if (full->line_count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			size_t *starts = realloc(full->line_starts, ncap * sizeof(*starts));
			size_t *ends;

			if (!starts)
				return guard_error_oom(rd->err);
			full->line_starts = starts;
			ends = realloc(full->line_ends, ncap * sizeof(*ends));
			if (!ends)
				return guard_error_oom(rd->err);
			full->line_ends = ends;
			cap = ncap;
		}
		if (full->line_count == 0 && nl && content_end < end)
			full->pub.crlf = true;
		full->line_starts[full->line_count] = pos;
		full->line_ends[full->line_count] = content_end;
		full->line_count++;
		if (!nl)
			break;
		pos = end + 1;
	}
	return 0;
}

static size_t skip_blanks(const char *s, size_t pos, size_t end)
{
	while (pos < end && df_is_blank(s[pos]))
		pos++;
	return pos;
}

static bool line_is_blank(const struct df_full *full, size_t i)
{
	const char *s = full->pub.data;

	return skip_blanks(s, full->line_starts[i], full->line_ends[i]) == full->line_ends[i];
}

static bool line_is_comment(const struct df_full *full, size_t i)
{
	const char *s = full->pub.data;
	size_t p = skip_blanks(s, full->line_starts[i], full->line_ends[i]);

	return p < full->line_ends[i] && s[p] == '#';
}

static int set_directive(struct df_reader *rd, size_t line, const char *key, size_t value_start,
			 size_t value_end)
{
	struct guard_dockerfile *df = rd->df;
	const char *v = df->data + value_start;
	size_t n = value_end - value_start;

	if (strcmp(key, "escape") == 0) {
		if (df->escape)
			return df_parse_error(rd, line, "only one escape parser directive can be used");
		if (n != 1 || (v[0] != '\\' && v[0] != '`'))
			return df_parse_error(rd, line, "invalid escape token '%.*s' does not match ` or \\",
					   (int)n, v);
		df->escape = v[0];
		return 0;
	}
	if (strcmp(key, "check") == 0) {
		if (df->check)
			return df_parse_error(rd, line, "only one check parser directive can be used");
		df->check = guard_strndup(v, n, rd->err);
		return df->check ? 0 : -1;
	}
	if (df->syntax)
		return df_parse_error(rd, line, "only one syntax parser directive can be used");
	df->syntax = guard_strndup(v, n, rd->err);
	if (!df->syntax)
		return -1;
	df->syntax_start = value_start;
	df->syntax_end = value_start;
	while (df->syntax_end < value_end && !df_is_blank(df->data[df->syntax_end]))
		df->syntax_end++;
	df->syntax_image = guard_strndup(v, df->syntax_end - value_start, rd->err);
	df->syntax_line = (unsigned)line + 1;
	return df->syntax_image ? 0 : -1;
}

/* Matches line i against the directive shape: '#', blanks, key, blanks,
 * '=', blanks, value. On a match with a known key (syntax, escape, check)
 * it fills key (lower case) and the value range, trailing blanks cut. */
static bool match_directive(const struct df_full *full, size_t i, char key[16],
			    size_t *value_start, size_t *value_end)
{
	const char *s = full->pub.data;
	size_t end = full->line_ends[i];
	size_t p = skip_blanks(s, full->line_starts[i], end);
	size_t n = 0;

	if (p >= end || s[p] != '#')
		return false;
	p = skip_blanks(s, p + 1, end);
	if (p >= end || !isalpha((unsigned char)s[p]))
		return false;
	while (p < end && isalnum((unsigned char)s[p])) {
		if (n + 1 >= 16)
			return false;
		key[n++] = (char)tolower((unsigned char)s[p++]);
	}
	key[n] = '\0';
	p = skip_blanks(s, p, end);
	if (p >= end || s[p] != '=')
		return false;
	p = skip_blanks(s, p + 1, end);
	while (end > p && df_is_blank(s[end - 1]))
		end--;
	if (p == end)
		return false;
	*value_start = p;
	*value_end = end;
	return strcmp(key, "syntax") == 0 || strcmp(key, "escape") == 0 || strcmp(key, "check") == 0;
}

/* Returns 1 when line i is a parser directive (and records it), 0 when it
 * is not, -1 on error. */
static int read_directive(struct df_reader *rd, size_t i)
{
	char key[16];
	size_t start, end;

	if (!match_directive(rd->full, i, key, &start, &end))
		return 0;
	return set_directive(rd, i, key, start, end) < 0 ? -1 : 1;
}

/* BuildKit reads a directive below the top of the file as a comment; a
 * late `# escape=` then silently changes nothing, so it gets a warning. */
static int warn_late_directive(struct df_reader *rd, size_t i)
{
	char key[16];
	size_t start, end;

	if (!match_directive(rd->full, i, key, &start, &end))
		return 0;
	return df_warn(rd->df, (unsigned)i + 1, rd->err,
		       "'# %s=' is not at the top of the file, so it is a comment; move it "
		       "above every other line to make it a parser directive", key);
}

static int read_directives(struct df_reader *rd)
{
	while (rd->line < rd->full->line_count) {
		int rc = read_directive(rd, rd->line);

		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		rd->line++;
	}
	if (!rd->df->escape)
		rd->df->escape = '\\';
	return 0;
}

/* True when [start, end) ends with the escape char as its last non-blank
 * byte, not itself escaped; *cut is where the continuation mark begins. */
static bool continues(const struct guard_dockerfile *df, size_t start, size_t end, size_t *cut)
{
	const char *s = df->data;

	while (end > start && df_is_blank(s[end - 1]))
		end--;
	if (end == start || s[end - 1] != df->escape)
		return false;
	if (end - 1 > start && s[end - 2] == df->escape)
		return false;
	*cut = end - 1;
	return true;
}

static int append_range(struct df_text *t, const char *s, size_t from, size_t to,
			struct guard_error *err)
{
	for (size_t i = from; i < to; i++) {
		if (df_text_put(t, s[i], i, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads one logical line starting at physical line rd->line, which
 * contains an instruction. Continuation lines are joined, and blank and
 * comment lines inside the continuation are dropped. */
static int read_logical(struct df_reader *rd, struct df_text *text, size_t *last_line)
{
	struct df_full *full = rd->full;
	size_t i = rd->line;
	size_t start = skip_blanks(full->pub.data, full->line_starts[i], full->line_ends[i]);
	size_t cut;

	for (;;) {
		size_t end = full->line_ends[i];
		bool more = continues(&full->pub, start, end, &cut);

		if (append_range(text, full->pub.data, start, more ? cut : end, rd->err) < 0)
			return -1;
		*last_line = i;
		if (!more)
			break;
		i++;
		while (i < full->line_count && (line_is_blank(full, i) || line_is_comment(full, i)))
			i++;
		if (i >= full->line_count)
			break;
		start = full->line_starts[i];
	}
	rd->line = *last_line + 1;
	if (text->len == 0 && df_text_put(text, ' ', full->line_starts[*last_line], rd->err) < 0)
		return -1;
	return 0;
}

static int push_instruction(struct df_reader *rd, int *stage)
{
	struct guard_dockerfile *df = rd->df;
	struct guard_dockerfile_instruction *grown, *ins;
	struct df_text text = { 0 };
	size_t first = rd->line, last, end;
	unsigned column;
	int rc = -1;

	struct df_text *texts;

	texts = realloc(rd->full->logical, (df->instruction_count + 1) * sizeof(*texts));
	if (!texts)
		return guard_error_oom(rd->err);
	rd->full->logical = texts;
	memset(&texts[df->instruction_count], 0, sizeof(*texts));
	grown = realloc(df->instructions, (df->instruction_count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(rd->err);
	df->instructions = grown;
	ins = &grown[df->instruction_count++];
	memset(ins, 0, sizeof(*ins));

	if (read_logical(rd, &text, &last) < 0)
		goto done;
	end = rd->full->line_ends[last];
	ins->start = text.src[0];
	ins->text = guard_strdup(text.s, rd->err);
	if (!ins->text || df_read_instruction(rd, &text, first, ins, &end) < 0)
		goto done;
	if (strcmp(ins->keyword, "FROM") == 0)
		(*stage)++;
	ins->stage = *stage;
	/* The line of the keyword, below `first` when that line holds only
	 * the escape char. */
	df_position(df, ins->start, &ins->line, &column);
	ins->end_line = (unsigned)rd->line;
	ins->end = end;
	rc = 0;
done:
	rd->full->logical[df->instruction_count - 1] = text;
	return rc;
}

static int read_instructions(struct df_reader *rd)
{
	int stage = -1;

	while (rd->line < rd->full->line_count) {
		if (line_is_comment(rd->full, rd->line) && warn_late_directive(rd, rd->line) < 0)
			return -1;
		if (line_is_blank(rd->full, rd->line) || line_is_comment(rd->full, rd->line)) {
			rd->line++;
			continue;
		}
		if (push_instruction(rd, &stage) < 0)
			return -1;
	}
	if (rd->df->instruction_count == 0)
		return guard_error_set(rd->err, GUARD_ERR_PARSE, "%s: file with no instructions",
				       rd->df->path);
	return 0;
}

int guard_dockerfile_parse(struct guard_dockerfile **out, const char *path,
			   const char *data, size_t len,
			   const struct guard_dockerfile_options *opts,
			   struct guard_error *err)
{
	size_t max = opts && opts->max_size ? opts->max_size : GUARD_DOCKERFILE_MAX_SIZE;
	struct df_full *full;
	struct df_reader rd;

	if (len > max)
		return guard_error_set(err, GUARD_ERR_LIMIT, "%s: file exceeds the %zu byte limit",
				       path, max);
	full = calloc(1, sizeof(*full));
	if (!full)
		return guard_error_oom(err);
	full->pub.path = guard_strdup(path, err);
	full->pub.data = malloc(len + 1);
	if (!full->pub.path || !full->pub.data) {
		guard_error_oom(err);
		goto fail;
	}
	memcpy(full->pub.data, data, len);
	full->pub.data[len] = '\0';
	full->pub.len = len;
	full->pub.bom = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0;

	rd = (struct df_reader){ full, &full->pub, 0, err };
	if (split_lines(&rd) < 0 || read_directives(&rd) < 0 || read_instructions(&rd) < 0 ||
	    df_plan(&full->pub, opts, err) < 0)
		goto fail;
	*out = &full->pub;
	return 0;
fail:
	guard_dockerfile_free(&full->pub);
	return -1;
}

int guard_dockerfile_load(struct guard_dockerfile **out, const char *path,
			  const struct guard_dockerfile_options *opts,
			  struct guard_error *err)
{
	size_t max = opts && opts->max_size ? opts->max_size : GUARD_DOCKERFILE_MAX_SIZE;
	char *data;
	size_t len;
	int rc;

	if (guard_read_file(path, max, &data, &len, err) < 0)
		return -1;
	rc = guard_dockerfile_parse(out, path, data, len, opts, err);
	free(data);
	return rc;
}

void guard_dockerfile_free(struct guard_dockerfile *df)
{
	struct df_full *full = (struct df_full *)df;

	if (!df)
		return;
	for (size_t i = 0; i < df->instruction_count; i++) {
		df_instruction_release(&df->instructions[i]);
		if (full->logical)
			df_text_release(&full->logical[i]);
	}
	free(full->logical);
	free(df->instructions);
	for (size_t i = 0; i < df->stage_count; i++)
		free(df->stages[i].name);
	free(df->stages);
	for (size_t i = 0; i < df->image_count; i++) {
		free(df->images[i].written);
		free(df->images[i].expanded);
		free(df->images[i].reason);
		free(df->images[i].warning);
	}
	free(df->images);
	df_names_free(df->warnings, df->warning_count);
	free(df->syntax);
	free(df->syntax_image);
	free(df->check);
	free(df->path);
	free(df->data);
	free(full->line_starts);
	free(full->line_ends);
	free(full);
}

struct edit {
	size_t start, end;
	char text[200];
};

static int edit_compare(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Collects the edits that digests ask for, sorted by offset. */
static int collect_edits(const struct guard_dockerfile *df, const char *const *digests,
			 struct edit **out, size_t *count, struct guard_error *err)
{
	struct edit *edits = calloc(df->image_count + 1, sizeof(*edits));
	size_t n = 0;

	if (!edits)
		return guard_error_oom(err);
	for (size_t i = 0; i < df->image_count; i++) {
		const struct guard_dockerfile_image *img = &df->images[i];
		struct edit *e = &edits[n];

		if (!digests[i] || strlen(digests[i]) > 150)
			continue;
		if (img->action == GUARD_DOCKERFILE_PIN && !img->duplicate) {
			e->start = e->end = img->insert_at;
			snprintf(e->text, sizeof(e->text), "%s@%s", img->add_latest ? ":latest" : "",
				 digests[i]);
			n++;
		} else if (img->action == GUARD_DOCKERFILE_PINNED && img->digest_start != SIZE_MAX) {
			e->start = img->digest_start;
			e->end = img->digest_end;
			snprintf(e->text, sizeof(e->text), "@%s", digests[i]);
			n++;
		}
	}
	qsort(edits, n, sizeof(*edits), edit_compare);
	for (size_t i = 1; i < n; i++) {
		if (edits[i].start < edits[i - 1].end ||
		    (edits[i].start == edits[i - 1].start && edits[i].end == edits[i - 1].end)) {
			size_t at = edits[i].start;

			free(edits);
			return guard_error_set(err, GUARD_ERR_INTERNAL,
					       "%s: two digest edits overlap at byte %zu", df->path, at);
		}
	}
	*out = edits;
	*count = n;
	return 0;
}

int guard_dockerfile_apply(const struct guard_dockerfile *df,
			   const char *const *digests, char **out, size_t *out_len,
			   struct guard_error *err)
{
	struct guard_buf buf = GUARD_BUF_INIT(GUARD_DOCKERFILE_MAX_SIZE * 2);
	struct edit *edits = NULL;
	size_t count = 0, pos = 0;

	if (collect_edits(df, digests, &edits, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (guard_buf_append(&buf, df->data + pos, edits[i].start - pos, err) < 0 ||
		    guard_buf_puts(&buf, edits[i].text, err) < 0)
			goto fail;
		pos = edits[i].end;
	}
	if (guard_buf_append(&buf, df->data + pos, df->len - pos, err) < 0)
		goto fail;
	free(edits);
	*out = guard_buf_detach(&buf, out_len);
	return *out ? 0 : guard_error_oom(err);
fail:
	free(edits);
	guard_buf_release(&buf);
	return -1;
}

const char *guard_dockerfile_ref_kind_name(enum guard_dockerfile_ref_kind kind)
{
	static const char *const names[] = {
		"from", "copy-from", "mount-from", "onbuild-copy-from",
		"onbuild-mount-from", "syntax",
	};

	if ((size_t)kind >= GUARD_ARRAY_SIZE(names))
		return "unknown";
	return names[kind];
}
