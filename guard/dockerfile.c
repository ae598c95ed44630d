/* The Dockerfile reader: physical lines, parser directives, continuation
 * lines, heredocs and instruction splitting, following BuildKit's
 * frontend/dockerfile/parser package. The pin plan is in
 * dockerfile_plan.c, substitution in dockerfile_expand.c. */
#include "dockerfile_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

/* The public struct plus the line table that df_position searches. */
struct df_full {
	struct guard_dockerfile pub;
	size_t *line_starts;
	size_t *line_ends;	/* end of the content, line ending excluded */
	size_t line_count;
	struct df_text *logical;	/* per instruction: its logical line */
};

struct reader {
	struct df_full *full;
	struct guard_dockerfile *df;
	size_t line;		/* index of the next physical line to read */
	struct guard_error *err;
};

static const char *const keywords[] = {
	"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
	"HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
	"STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
};

static bool is_blank(char c)
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

static int parse_error(struct reader *rd, size_t line_index, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_error(struct reader *rd, size_t line_index, const char *fmt, ...)
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
static int split_lines(struct reader *rd)
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
	while (pos < end && is_blank(s[pos]))
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

static int set_directive(struct reader *rd, size_t line, const char *key, size_t value_start,
			 size_t value_end)
{
	struct guard_dockerfile *df = rd->df;
	const char *v = df->data + value_start;
	size_t n = value_end - value_start;

	if (strcmp(key, "escape") == 0) {
		if (df->escape)
			return parse_error(rd, line, "only one escape parser directive can be used");
		if (n != 1 || (v[0] != '\\' && v[0] != '`'))
			return parse_error(rd, line, "invalid escape token '%.*s' does not match ` or \\",
					   (int)n, v);
		df->escape = v[0];
		return 0;
	}
	if (strcmp(key, "check") == 0) {
		if (df->check)
			return parse_error(rd, line, "only one check parser directive can be used");
		df->check = guard_strndup(v, n, rd->err);
		return df->check ? 0 : -1;
	}
	if (df->syntax)
		return parse_error(rd, line, "only one syntax parser directive can be used");
	df->syntax = guard_strndup(v, n, rd->err);
	if (!df->syntax)
		return -1;
	df->syntax_start = value_start;
	df->syntax_end = value_start;
	while (df->syntax_end < value_end && !is_blank(df->data[df->syntax_end]))
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
	while (end > p && is_blank(s[end - 1]))
		end--;
	if (p == end)
		return false;
	*value_start = p;
	*value_end = end;
	return strcmp(key, "syntax") == 0 || strcmp(key, "escape") == 0 || strcmp(key, "check") == 0;
}

/* Returns 1 when line i is a parser directive (and records it), 0 when it
 * is not, -1 on error. */
static int read_directive(struct reader *rd, size_t i)
{
	char key[16];
	size_t start, end;

	if (!match_directive(rd->full, i, key, &start, &end))
		return 0;
	return set_directive(rd, i, key, start, end) < 0 ? -1 : 1;
}

/* BuildKit reads a directive below the top of the file as a comment; a
 * late `# escape=` then silently changes nothing, so it gets a warning. */
static int warn_late_directive(struct reader *rd, size_t i)
{
	char key[16];
	size_t start, end;

	if (!match_directive(rd->full, i, key, &start, &end))
		return 0;
	return df_warn(rd->df, (unsigned)i + 1, rd->err,
		       "'# %s=' is not at the top of the file, so it is a comment; move it "
		       "above every other line to make it a parser directive", key);
}

static int read_directives(struct reader *rd)
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

	while (end > start && is_blank(s[end - 1]))
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

/* Reads one logical line starting at physical line rd->line (which holds
 * an instruction): continuation lines are joined, and blank and comment
 * lines inside the continuation are dropped. */
static int read_logical(struct reader *rd, struct df_text *text, size_t *last_line)
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

/* Finds the end of the shell word at pos in t: unquoted blanks end it;
 * quotes and the escape char are honoured. */
static size_t word_end(const struct df_text *t, size_t pos, char escape)
{
	char quote = 0;

	while (pos < t->len) {
		char c = t->s[pos];

		if (quote) {
			if (c == quote)
				quote = 0;
			else if (c == escape && quote == '"' && pos + 1 < t->len)
				pos++;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == escape && pos + 1 < t->len) {
			pos++;
		} else if (is_blank(c)) {
			break;
		}
		pos++;
	}
	return pos;
}

static size_t plain_word_end(const struct df_text *t, size_t pos)
{
	while (pos < t->len && !is_blank(t->s[pos]))
		pos++;
	return pos;
}

static size_t text_skip_blanks(const struct df_text *t, size_t pos)
{
	while (pos < t->len && is_blank(t->s[pos]))
		pos++;
	return pos;
}

static int make_word(struct reader *rd, const struct df_text *t, size_t from, size_t to,
		     struct guard_dockerfile_word *w)
{
	struct df_expansion x;

	memset(w, 0, sizeof(*w));
	w->raw = guard_strndup(t->s + from, to - from, rd->err);
	if (!w->raw)
		return -1;
	if (df_expand(t, from, to - from, rd->df->escape, NULL, &x, rd->err) < 0) {
		guard_error_clear(rd->err);
		w->value = guard_strdup(w->raw, rd->err);
	} else {
		w->value = guard_strdup(x.out.s, rd->err);
		df_expansion_release(&x);
	}
	if (!w->value)
		return -1;
	w->start = t->src[from];
	w->end = to > from ? t->src[to - 1] + 1 : w->start;
	df_position(rd->df, w->start, &w->line, &w->column);
	return 0;
}

static int push_word(struct reader *rd, struct guard_dockerfile_word **words, size_t *count,
		     const struct df_text *t, size_t from, size_t to)
{
	struct guard_dockerfile_word *grown = realloc(*words, (*count + 1) * sizeof(*grown));

	if (!grown)
		return guard_error_oom(rd->err);
	*words = grown;
	if (make_word(rd, t, from, to, &grown[*count]) < 0)
		return -1;
	(*count)++;
	return 0;
}

/* Reads leading --flags from pos; returns the position after them. A bare
 * "--" ends the flags and is consumed. */
static int read_flags(struct reader *rd, const struct df_text *t, size_t *pos,
		      struct guard_dockerfile_instruction *ins)
{
	size_t p = text_skip_blanks(t, *pos);

	while (p + 1 < t->len && t->s[p] == '-' && t->s[p + 1] == '-') {
		size_t end = word_end(t, p, rd->df->escape);

		if (end == p + 2) {
			p = text_skip_blanks(t, end);
			break;
		}
		if (push_word(rd, &ins->flags, &ins->flag_count, t, p, end) < 0)
			return -1;
		p = text_skip_blanks(t, end);
	}
	*pos = p;
	return 0;
}

/* Parses a JSON array of strings; returns 1 and fills args when t[pos..]
 * is one, 0 when it is not JSON (shell form), -1 on error. Element
 * positions are those of the JSON strings. */
static int read_json_array(struct reader *rd, const struct df_text *t, size_t pos,
			   struct guard_dockerfile_instruction *ins, size_t line)
{
	size_t p = pos + 1;
	json_t *doc;

	p = text_skip_blanks(t, p);
	while (p < t->len && t->s[p] != ']') {
		size_t start = p;

		if (t->s[p] != '"')
			goto not_strings;
		for (p++; p < t->len && t->s[p] != '"'; p++) {
			if (t->s[p] == '\\')
				p++;
		}
		if (p >= t->len)
			goto not_strings;
		p++;
		if (push_word(rd, &ins->args, &ins->arg_count, t, start, p) < 0)
			return -1;
		p = text_skip_blanks(t, p);
		if (p < t->len && t->s[p] == ',')
			p = text_skip_blanks(t, p + 1);
		else if (p < t->len && t->s[p] != ']')
			goto not_strings;
	}
	if (p >= t->len || text_skip_blanks(t, p + 1) != t->len)
		goto not_strings;

	doc = json_loadb(t->s + pos, t->len - pos, 0, NULL);
	if (!doc)
		goto not_strings;
	for (size_t i = 0; i < ins->arg_count && i < json_array_size(doc); i++) {
		const char *v = json_string_value(json_array_get(doc, i));
		char *copy = v ? guard_strdup(v, rd->err) : NULL;

		if (!copy) {
			json_decref(doc);
			return v ? -1 : parse_error(rd, line, "JSON form must be an array of strings");
		}
		free(ins->args[i].value);
		ins->args[i].value = copy;
	}
	json_decref(doc);
	return 1;

not_strings:
	doc = json_loadb(t->s + pos, t->len - pos, 0, NULL);
	if (doc) {
		json_decref(doc);
		return parse_error(rd, line, "%s: JSON form must be an array of strings",
				   ins->keyword);
	}
	for (size_t i = 0; i < ins->arg_count; i++) {
		free(ins->args[i].raw);
		free(ins->args[i].value);
	}
	free(ins->args);
	ins->args = NULL;
	ins->arg_count = 0;
	return 0;
}

/* Adds a pair: the name is t[name_from, name_to); the value, when
 * has_value, is t[value_from, value_to). */
static int push_pair(struct reader *rd, struct guard_dockerfile_instruction *ins,
		     const struct df_text *t, size_t name_from, size_t name_to,
		     size_t value_from, size_t value_to, bool has_value)
{
	struct guard_dockerfile_pair *grown = realloc(ins->pairs, (ins->pair_count + 1) * sizeof(*grown));
	struct guard_dockerfile_pair *pair;
	struct df_expansion x;
	size_t n = value_to - value_from;

	if (!grown)
		return guard_error_oom(rd->err);
	ins->pairs = grown;
	pair = &grown[ins->pair_count];
	memset(pair, 0, sizeof(*pair));
	ins->pair_count++;
	pair->name = guard_strndup(t->s + name_from, name_to - name_from, rd->err);
	if (!pair->name)
		return -1;
	pair->name_start = t->src[name_from];
	pair->name_end = t->src[name_to - 1] + 1;
	pair->value_start = pair->value_end = pair->name_end;
	df_position(rd->df, pair->name_start, &pair->line, &pair->column);
	if (!has_value)
		return 0;

	if (n == 0) {
		/* NAME= : the value is empty, just after the '='. */
		pair->value_start = pair->value_end = t->src[name_to] + 1;
		pair->value = guard_strdup("", rd->err);
		return pair->value ? 0 : -1;
	}
	pair->value_start = t->src[value_from];
	pair->value_end = t->src[value_to - 1] + 1;
	if (df_expand(t, value_from, n, rd->df->escape, NULL, &x, rd->err) < 0)
		return guard_error_prefix(rd->err, "%s:%u: %s", rd->df->path, pair->line,
					  ins->keyword);
	pair->value = guard_strdup(x.out.s, rd->err);
	df_expansion_release(&x);
	pair->quoted = memchr(t->s + value_from, '"', n) || memchr(t->s + value_from, '\'', n);
	return pair->value ? 0 : -1;
}

/* ENV, LABEL and ARG: NAME=VALUE words; ENV and LABEL also take the legacy
 * `NAME value` form; ARG also takes a bare NAME. */
static int read_pairs(struct reader *rd, const struct df_text *t, size_t pos,
		      struct guard_dockerfile_instruction *ins, size_t line)
{
	bool is_arg = strcmp(ins->trigger[0] ? ins->trigger : ins->keyword, "ARG") == 0;
	size_t first_end = word_end(t, pos, rd->df->escape);
	const char *eq = memchr(t->s + pos, '=', first_end - pos);

	if (pos >= t->len)
		return parse_error(rd, line, "%s requires at least one argument", ins->keyword);
	if (!is_arg && !eq) {
		size_t value = text_skip_blanks(t, first_end);
		size_t end = t->len;

		while (end > value && is_blank(t->s[end - 1]))
			end--;
		if (value >= end)
			return parse_error(rd, line, "%s must have two arguments", ins->keyword);
		return push_pair(rd, ins, t, pos, first_end, value, end, true);
	}
	while (pos < t->len) {
		size_t end = word_end(t, pos, rd->df->escape);
		const char *e = memchr(t->s + pos, '=', end - pos);

		if (!e && !is_arg)
			return parse_error(rd, line,
					   "%s: missing '=' in '%.*s', expected NAME=VALUE",
					   ins->keyword, (int)(end - pos), t->s + pos);
		if (e == t->s + pos)
			return parse_error(rd, line, "%s: empty name in '%.*s'", ins->keyword,
					   (int)(end - pos), t->s + pos);
		if (e && push_pair(rd, ins, t, pos, (size_t)(e - t->s), (size_t)(e - t->s) + 1, end,
				   true) < 0)
			return -1;
		if (!e && push_pair(rd, ins, t, pos, end, end, end, false) < 0)
			return -1;
		pos = text_skip_blanks(t, end);
	}
	return 0;
}

static void word_release(struct guard_dockerfile_word *w)
{
	free(w->raw);
	free(w->value);
}

static void instruction_release(struct guard_dockerfile_instruction *ins)
{
	free(ins->text);
	for (size_t i = 0; i < ins->flag_count; i++)
		word_release(&ins->flags[i]);
	free(ins->flags);
	for (size_t i = 0; i < ins->arg_count; i++)
		word_release(&ins->args[i]);
	free(ins->args);
	for (size_t i = 0; i < ins->pair_count; i++) {
		free(ins->pairs[i].name);
		free(ins->pairs[i].value);
	}
	free(ins->pairs);
	for (size_t i = 0; i < ins->heredoc_count; i++)
		free(ins->heredocs[i].delimiter);
	free(ins->heredocs);
}

/* Matches BuildKit's heredoc opener: optional fd digits, "<<", optional
 * "-", then a delimiter word with no '<'. Returns false for anything else
 * ("<< EOF" splits into two words and so is no opener either). */
static bool heredoc_opener(const char *w, size_t n, int *fd, bool *strip, size_t *rest)
{
	size_t p = 0;
	int value = -1;

	while (p < n && isdigit((unsigned char)w[p])) {
		value = (value < 0 ? 0 : value) * 10 + (w[p] - '0');
		if (value > 9999)
			return false;
		p++;
	}
	if (p + 2 > n || w[p] != '<' || w[p + 1] != '<')
		return false;
	p += 2;
	*strip = p < n && w[p] == '-';
	if (*strip)
		p++;
	if (p >= n || memchr(w + p, '<', n - p))
		return false;
	*fd = value;
	*rest = p;
	return true;
}

/* Reads the body of heredoc h from the physical lines after the
 * instruction; sets *end to the end of its terminator line. */
static int read_heredoc_body(struct reader *rd, struct guard_dockerfile_heredoc *h,
			     size_t opener_line, size_t *end)
{
	struct df_full *full = rd->full;
	size_t want = strlen(h->delimiter);

	h->body_start = rd->line < full->line_count ? full->line_starts[rd->line] : full->pub.len;
	h->body_line = (unsigned)rd->line + 1;
	for (size_t i = rd->line; i < full->line_count; i++) {
		size_t p = full->line_starts[i];
		size_t e = full->line_ends[i];

		if (h->strip_tabs) {
			while (p < e && full->pub.data[p] == '\t')
				p++;
		}
		if (e - p == want && memcmp(full->pub.data + p, h->delimiter, want) == 0) {
			h->body_end = full->line_starts[i];
			h->end_line = (unsigned)i + 1;
			*end = e;
			rd->line = i + 1;
			return 0;
		}
	}
	return parse_error(rd, opener_line, "unterminated heredoc '%s'", h->delimiter);
}

static int read_heredocs(struct reader *rd, const struct df_text *t, size_t pos,
			 struct guard_dockerfile_instruction *ins, size_t line, size_t *end)
{
	while ((pos = text_skip_blanks(t, pos)) < t->len) {
		size_t wend = word_end(t, pos, rd->df->escape);
		struct guard_dockerfile_heredoc *h, *grown;
		struct df_expansion x;
		size_t rest;
		int fd;
		bool strip;

		if (!heredoc_opener(t->s + pos, wend - pos, &fd, &strip, &rest)) {
			pos = wend;
			continue;
		}
		grown = realloc(ins->heredocs, (ins->heredoc_count + 1) * sizeof(*grown));
		if (!grown)
			return guard_error_oom(rd->err);
		ins->heredocs = grown;
		h = &grown[ins->heredoc_count++];
		memset(h, 0, sizeof(*h));
		h->fd = fd;
		h->strip_tabs = strip;
		h->opener_start = t->src[pos];
		h->opener_end = t->src[wend - 1] + 1;
		if (df_expand(t, pos + rest, wend - pos - rest, rd->df->escape, NULL, &x, rd->err) < 0)
			return guard_error_prefix(rd->err, "%s:%zu: heredoc", rd->df->path, line + 1);
		h->delimiter = guard_strdup(x.out.s, rd->err);
		df_expansion_release(&x);
		if (!h->delimiter)
			return -1;
		h->expand = !memchr(t->s + pos + rest, '"', wend - pos - rest) &&
			    !memchr(t->s + pos + rest, '\'', wend - pos - rest);
		if (read_heredoc_body(rd, h, line, end) < 0)
			return -1;
		pos = wend;
	}
	return 0;
}

static bool is_keyword(const char *upper)
{
	for (size_t i = 0; i < GUARD_ARRAY_SIZE(keywords); i++) {
		if (strcmp(keywords[i], upper) == 0)
			return true;
	}
	return false;
}

/* Reads the keyword at *pos into out (upper case); false when it is not
 * one of the Dockerfile instructions. */
static bool read_keyword(const struct df_text *t, size_t *pos, char *out, size_t size,
			 size_t *end)
{
	size_t e = plain_word_end(t, *pos);
	size_t n = e - *pos;

	*end = e;
	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)toupper((unsigned char)t->s[*pos + i]);
	out[n] = '\0';
	return is_keyword(out);
}

static bool one_of(const char *word, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(word, *list) == 0)
			return true;
	}
	return false;
}

static int check_from(struct reader *rd, struct guard_dockerfile_instruction *ins, size_t line)
{
	for (size_t i = 0; i < ins->flag_count; i++) {
		const char *f = ins->flags[i].value;

		if (strncmp(f, "--platform", 10) != 0 || (f[10] != '=' && f[10] != '\0'))
			return parse_error(rd, line, "FROM: unknown flag '%s'", ins->flags[i].raw);
		if (f[10] != '=')
			return parse_error(rd, line, "FROM: missing a value on flag '--platform'");
	}
	if (ins->arg_count != 1 && ins->arg_count != 3)
		return parse_error(rd, line, "FROM requires either one or three arguments");
	if (ins->arg_count == 3 && strcasecmp(ins->args[1].raw, "AS") != 0)
		return parse_error(rd, line, "FROM requires either one or three arguments");
	return 0;
}

/* BuildKit needs '=' between a flag and its value: `COPY --from build`
 * is an error, not a flag followed by a source named "build". */
static int check_flag_values(struct reader *rd, const struct guard_dockerfile_instruction *ins,
			     size_t line)
{
	static const char *const valued[] = {
		"--from", "--mount", "--platform", "--chown", "--chmod", "--network",
		"--security", "--checksum", "--exclude", NULL,
	};

	for (size_t i = 0; i < ins->flag_count; i++) {
		if (one_of(ins->flags[i].value, valued))
			return parse_error(rd, line, "%s: missing a value on flag '%s'",
					   ins->trigger[0] ? ins->trigger : ins->keyword,
					   ins->flags[i].value);
	}
	return 0;
}

/* Fills in ins from the logical line t (keyword at 0). */
static int read_instruction(struct reader *rd, const struct df_text *t, size_t line,
			    struct guard_dockerfile_instruction *ins, size_t *end)
{
	static const char *const json_forms[] = {
		"RUN", "CMD", "ENTRYPOINT", "SHELL", "ADD", "COPY", "VOLUME", NULL,
	};
	static const char *const heredoc_forms[] = { "RUN", "COPY", "ADD", NULL };
	static const char *const plain_split[] = { "FROM", "COPY", "ADD", NULL };
	static const char *const pair_forms[] = { "ENV", "ARG", "LABEL", NULL };
	const char *kw;
	size_t pos = 0, kend;

	if (!read_keyword(t, &pos, ins->keyword, sizeof(ins->keyword), &kend))
		return parse_error(rd, line, "unknown instruction: %.*s",
				   (int)(plain_word_end(t, 0) > 64 ? 64 : plain_word_end(t, 0)), t->s);
	pos = text_skip_blanks(t, kend);
	if (strcmp(ins->keyword, "ONBUILD") == 0) {
		if (!read_keyword(t, &pos, ins->trigger, sizeof(ins->trigger), &kend))
			return parse_error(rd, line, "ONBUILD: unknown or missing instruction");
		if (strcmp(ins->trigger, "ONBUILD") == 0 || strcmp(ins->trigger, "FROM") == 0 ||
		    strcmp(ins->trigger, "MAINTAINER") == 0)
			return parse_error(rd, line, "%s isn't allowed as an ONBUILD trigger",
					   ins->trigger);
		pos = text_skip_blanks(t, kend);
	}
	kw = ins->trigger[0] ? ins->trigger : ins->keyword;
	if (!one_of(kw, pair_forms) && read_flags(rd, t, &pos, ins) < 0)
		return -1;

	if (one_of(kw, json_forms) && pos < t->len && t->s[pos] == '[') {
		int rc = read_json_array(rd, t, pos, ins, line);

		if (rc < 0)
			return -1;
		ins->json = rc == 1;
	}
	if (!ins->json && one_of(kw, heredoc_forms) && memmem(t->s + pos, t->len - pos, "<<", 2) &&
	    read_heredocs(rd, t, pos, ins, line, end) < 0)
		return -1;
	if (ins->json)
		return 0;
	if (one_of(kw, pair_forms))
		return read_pairs(rd, t, pos, ins, line);

	while ((pos = text_skip_blanks(t, pos)) < t->len) {
		size_t wend = one_of(kw, plain_split) ? plain_word_end(t, pos)
						      : word_end(t, pos, rd->df->escape);

		if (push_word(rd, &ins->args, &ins->arg_count, t, pos, wend) < 0)
			return -1;
		pos = wend;
	}
	if (strcmp(kw, "FROM") == 0)
		return check_from(rd, ins, line);
	return check_flag_values(rd, ins, line);
}

static int push_instruction(struct reader *rd, int *stage)
{
	struct guard_dockerfile *df = rd->df;
	struct guard_dockerfile_instruction *grown, *ins;
	struct df_text text = { 0 };
	size_t first = rd->line, last, end;
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
	if (!ins->text || read_instruction(rd, &text, first, ins, &end) < 0)
		goto done;
	if (strcmp(ins->keyword, "FROM") == 0)
		(*stage)++;
	ins->stage = *stage;
	ins->line = (unsigned)first + 1;
	ins->end_line = (unsigned)rd->line;
	ins->end = end;
	rc = 0;
done:
	rd->full->logical[df->instruction_count - 1] = text;
	return rc;
}

static int read_instructions(struct reader *rd)
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
	struct reader rd;

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

	rd = (struct reader){ full, &full->pub, 0, err };
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
		instruction_release(&df->instructions[i]);
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
