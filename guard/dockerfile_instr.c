/* Instruction parsing: keyword, flags, words, JSON form, ENV/ARG/LABEL
 * pairs and heredocs of one logical line, as BuildKit's parser splits
 * them (frontend/dockerfile/parser and instructions). */
#include "dockerfile_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *const keywords[] = {
	"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
	"HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
	"STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
};

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
		} else if (df_is_blank(c)) {
			break;
		}
		pos++;
	}
	return pos;
}

static size_t plain_word_end(const struct df_text *t, size_t pos)
{
	while (pos < t->len && !df_is_blank(t->s[pos]))
		pos++;
	return pos;
}

static size_t text_skip_blanks(const struct df_text *t, size_t pos)
{
	while (pos < t->len && df_is_blank(t->s[pos]))
		pos++;
	return pos;
}

static int make_word(struct df_reader *rd, const struct df_text *t, size_t from, size_t to,
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

static int push_word(struct df_reader *rd, struct guard_dockerfile_word **words, size_t *count,
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
static int read_flags(struct df_reader *rd, const struct df_text *t, size_t *pos,
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

/* Parses a JSON array of strings. Returns 1 and fills args when t[pos..]
 * is one, 0 when it is not JSON (so it is shell form), -1 on error.
 * Element positions are those of the JSON strings. */
static int read_json_array(struct df_reader *rd, const struct df_text *t, size_t pos,
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
			return v ? -1 : df_parse_error(rd, line, "JSON form must be an array of strings");
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
		return df_parse_error(rd, line, "%s: JSON form must be an array of strings",
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
static int push_pair(struct df_reader *rd, struct guard_dockerfile_instruction *ins,
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
static int read_pairs(struct df_reader *rd, const struct df_text *t, size_t pos,
		      struct guard_dockerfile_instruction *ins, size_t line)
{
	bool is_arg = strcmp(ins->trigger[0] ? ins->trigger : ins->keyword, "ARG") == 0;
	size_t first_end = word_end(t, pos, rd->df->escape);
	const char *eq = memchr(t->s + pos, '=', first_end - pos);

	if (pos >= t->len)
		return df_parse_error(rd, line, "%s requires at least one argument", ins->keyword);
	if (!is_arg && !eq) {
		size_t value = text_skip_blanks(t, first_end);
		size_t end = t->len;

		while (end > value && df_is_blank(t->s[end - 1]))
			end--;
		if (value >= end)
			return df_parse_error(rd, line, "%s must have two arguments", ins->keyword);
		return push_pair(rd, ins, t, pos, first_end, value, end, true);
	}
	while (pos < t->len) {
		size_t end = word_end(t, pos, rd->df->escape);
		const char *e = memchr(t->s + pos, '=', end - pos);

		if (!e && !is_arg)
			return df_parse_error(rd, line,
					   "%s: missing '=' in '%.*s', expected NAME=VALUE",
					   ins->keyword, (int)(end - pos), t->s + pos);
		if (e == t->s + pos)
			return df_parse_error(rd, line, "%s: empty name in '%.*s'", ins->keyword,
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

void df_instruction_release(struct guard_dockerfile_instruction *ins)
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
static int read_heredoc_body(struct df_reader *rd, struct guard_dockerfile_heredoc *h,
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
	return df_parse_error(rd, opener_line, "unterminated heredoc '%s'", h->delimiter);
}

static int read_heredocs(struct df_reader *rd, const struct df_text *t, size_t pos,
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

static int check_from(struct df_reader *rd, struct guard_dockerfile_instruction *ins, size_t line)
{
	for (size_t i = 0; i < ins->flag_count; i++) {
		const char *f = ins->flags[i].value;

		if (strncmp(f, "--platform", 10) != 0 || (f[10] != '=' && f[10] != '\0'))
			return df_parse_error(rd, line, "FROM: unknown flag '%s'", ins->flags[i].raw);
		if (f[10] != '=')
			return df_parse_error(rd, line, "FROM: missing a value on flag '--platform'");
	}
	if (ins->arg_count != 1 && ins->arg_count != 3)
		return df_parse_error(rd, line, "FROM requires either one or three arguments");
	if (ins->arg_count == 3 && strcasecmp(ins->args[1].raw, "AS") != 0)
		return df_parse_error(rd, line, "FROM requires either one or three arguments");
	return 0;
}

/* BuildKit needs '=' between a flag and its value: `COPY --from build`
 * is an error, not a flag followed by a source named "build". */
static int check_flag_values(struct df_reader *rd, const struct guard_dockerfile_instruction *ins,
			     size_t line)
{
	static const char *const valued[] = {
		"--from", "--mount", "--platform", "--chown", "--chmod", "--network",
		"--security", "--checksum", "--exclude", NULL,
	};

	for (size_t i = 0; i < ins->flag_count; i++) {
		if (one_of(ins->flags[i].value, valued))
			return df_parse_error(rd, line, "%s: missing a value on flag '%s'",
					   ins->trigger[0] ? ins->trigger : ins->keyword,
					   ins->flags[i].value);
	}
	return 0;
}

/* Fills in ins from the logical line t (keyword at 0). */
int df_read_instruction(struct df_reader *rd, const struct df_text *t, size_t line,
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
		return df_parse_error(rd, line, "unknown instruction: %.*s",
				   (int)(plain_word_end(t, 0) > 64 ? 64 : plain_word_end(t, 0)), t->s);
	pos = text_skip_blanks(t, kend);
	if (strcmp(ins->keyword, "ONBUILD") == 0) {
		if (!read_keyword(t, &pos, ins->trigger, sizeof(ins->trigger), &kend))
			return df_parse_error(rd, line, "ONBUILD: unknown or missing instruction");
		if (strcmp(ins->trigger, "ONBUILD") == 0 || strcmp(ins->trigger, "FROM") == 0 ||
		    strcmp(ins->trigger, "MAINTAINER") == 0)
			return df_parse_error(rd, line, "%s isn't allowed as an ONBUILD trigger",
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

