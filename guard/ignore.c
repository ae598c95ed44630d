/* .dockerignore reading and matching with BuildKit's semantics.
 *
 * moby/patternmatcher turns each pattern into a Go regular expression. A
 * star is any run without a slash, and "?" one character but a slash. A
 * double star followed by a slash or more text is "nothing, or anything
 * ending in a slash", and a final double star is anything. "[...]" is
 * passed through as a regexp class, and a backslash escapes the next
 * character.
 * Here each pattern becomes a list of tokens matched by a state-set
 * simulation, so a hostile pattern cannot make matching exponential. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "ignore.h"
#include "util.h"

enum token_kind {
	TOKEN_LITERAL,		/* one code point */
	TOKEN_ANY,		/* "?": one code point but "/" */
	TOKEN_STAR,		/* "*": any run without "/" */
	TOKEN_CLASS,		/* "[...]": one code point in (or, negated, outside) the ranges */
	TOKEN_ANY_DIRS,		/* double star: skips to after TOKEN_DIRS_LOOP, or enters it */
	TOKEN_DIRS_LOOP,	/* inside a double star: anything, left only through a "/" */
	TOKEN_ANY_REST,		/* double star at the end: anything */
};

struct class_range {
	uint32_t lo, hi;
};

struct token {
	enum token_kind kind;
	uint32_t rune;			/* TOKEN_LITERAL */
	bool negated;			/* TOKEN_CLASS */
	struct class_range *ranges;	/* TOKEN_CLASS, owned */
	size_t range_count;
};

struct pattern {
	bool exception;		/* a "!" line: re-includes what it matches */
	struct token *tokens;
	size_t token_count;
};

struct guard_ignore {
	struct pattern *patterns;
	size_t count;
	size_t max_tokens;
	bool has_exceptions;
};

/* Invalid UTF-8 bytes stand for themselves in a range above Unicode, so
 * that a pattern byte and a path byte still compare equal. */
#define INVALID_BYTE_BASE 0x110000u

static size_t decode_rune(const char *s, size_t len, uint32_t *rune)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t value, min;
	size_t n, i;

	if (p[0] < 0x80) {
		*rune = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, value = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, value = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, value = p[0] & 0x07, min = 0x10000;
	else
		goto invalid;
	if (len < n)
		goto invalid;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto invalid;
		value = (value << 6) | (p[i] & 0x3f);
	}
	if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
		goto invalid;
	*rune = value;
	return n;
invalid:
	*rune = INVALID_BYTE_BASE + p[0];
	return 1;
}

/* Go's unicode.IsSpace, which strings.TrimSpace uses. */
static bool is_space_rune(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return true;
	}
	return r >= 0x2000 && r <= 0x200a;
}

/* Trims leading and trailing white space from [*start, *start + *len). */
static void trim_space(const char **start, size_t *len)
{
	const char *s = *start;
	size_t n = *len, step;
	uint32_t r;

	while (n > 0 && (step = decode_rune(s, n, &r)) && is_space_rune(r)) {
		s += step;
		n -= step;
	}
	while (n > 0) {
		size_t back = 1;

		while (back < n && back < 4 && ((unsigned char)s[n - back] & 0xc0) == 0x80)
			back++;
		if (decode_rune(s + n - back, back, &r) != back || !is_space_rune(r))
			break;
		n -= back;
	}
	*start = s;
	*len = n;
}

/* Lexical clean-up like Go's path.Clean: no empty or "." segments, ".."
 * removes the segment before it, and "" becomes ".". Returns a new string. */
static char *clean_path(const char *path, size_t len)
{
	char *out = malloc(len + 2);
	bool rooted = len > 0 && path[0] == '/';
	size_t r = 0, w = 0, floor;

	if (!out)
		return NULL;
	if (rooted)
		out[w++] = '/';
	floor = w;	/* ".." never removes text before this point */

	while (r < len) {
		size_t start = r, seg;

		while (r < len && path[r] != '/')
			r++;
		seg = r - start;
		if (r < len)
			r++;
		if (seg == 0 || (seg == 1 && path[start] == '.'))
			continue;
		if (seg == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (w > floor) {
				while (w > floor && out[w - 1] != '/')
					w--;
				if (w > floor)
					w--;
				continue;
			}
			if (rooted)
				continue;
			floor = w + (w > 0 ? 3 : 2);	/* keep this "..": nothing to remove */
		}
		if (w > (rooted ? 1u : 0u))
			out[w++] = '/';
		memcpy(out + w, path + start, seg);
		w += seg;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

static void pattern_release(struct pattern *p)
{
	size_t i;

	for (i = 0; i < p->token_count; i++)
		free(p->tokens[i].ranges);
	free(p->tokens);
}

void guard_ignore_free(struct guard_ignore *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->count; i++)
		pattern_release(&ig->patterns[i]);
	free(ig->patterns);
	free(ig);
}

struct compiler {
	const char *name;	/* file name for messages */
	unsigned line;
	struct guard_error *err;
};

static int bad_pattern(const struct compiler *c, const char *pattern, const char *reason)
{
	return guard_error_set(c->err, GUARD_ERR_PARSE, "invalid pattern in '%s' line %u '%s': %s",
			       c->name, c->line, pattern, reason);
}

/* Reads one class member at s: a character or a "\"-escaped one. Like Go's
 * filepath.Match, "-" and "]" must be escaped to be members. */
static size_t class_char(const char *s, size_t len, uint32_t *rune)
{
	size_t n = 0;

	if (len > 0 && s[0] == '\\') {
		n = 1;
		s++;
		len--;
	} else if (len > 0 && (s[0] == '-' || s[0] == ']')) {
		return 0;
	}
	if (len == 0)
		return 0;
	return n + decode_rune(s, len, rune);
}

/* Parses "[...]" at p (p[0] == '['); returns the length consumed, or 0. */
static size_t parse_class(const struct compiler *c, const char *pattern, const char *p,
			  size_t len, struct token *t)
{
	size_t i = 1, cap = 0;

	t->kind = TOKEN_CLASS;
	if (i < len && p[i] == '^') {
		t->negated = true;
		i++;
	}
	for (;;) {
		struct class_range range;
		size_t n;

		if (i < len && p[i] == ']' && t->range_count > 0)
			return i + 1;
		n = class_char(p + i, len - i, &range.lo);
		if (n == 0) {
			bad_pattern(c, pattern, i >= len ? "unclosed '['" : "invalid character class");
			return 0;
		}
		i += n;
		range.hi = range.lo;
		if (i < len && p[i] == '-') {
			n = class_char(p + i + 1, len - i - 1, &range.hi);
			if (n == 0) {
				bad_pattern(c, pattern, "invalid character class range");
				return 0;
			}
			i += 1 + n;
			if (range.hi < range.lo) {
				bad_pattern(c, pattern, "character class range is reversed");
				return 0;
			}
		}
		if (t->range_count == cap) {
			struct class_range *grown;

			cap = cap ? cap * 2 : 4;
			grown = realloc(t->ranges, cap * sizeof(*grown));
			if (!grown) {
				guard_error_oom(c->err);
				return 0;
			}
			t->ranges = grown;
		}
		t->ranges[t->range_count++] = range;
	}
}

/* Reads the token at p[i], returning how many bytes it used, or 0 on error. */
static size_t parse_token(const struct compiler *c, const char *pattern, size_t i, size_t len,
			  struct token *t)
{
	const char *p = pattern + i;
	size_t rest = len - i;

	memset(t, 0, sizeof(*t));
	if (p[0] == '*' && rest > 1 && p[1] == '*') {
		size_t n = 2;

		if (rest > 2 && p[2] == '/')
			n = 3;
		t->kind = n == rest ? TOKEN_ANY_REST : TOKEN_ANY_DIRS;
		return n;
	}
	switch (p[0]) {
	case '*':
		t->kind = TOKEN_STAR;
		return 1;
	case '?':
		t->kind = TOKEN_ANY;
		return 1;
	case '[':
		return parse_class(c, pattern, p, rest, t);
	case '\\':
		/* NOTE: BuildKit copies "\d" or "\w" into its regexp, where they
		 * are classes; here every escaped character is literal, as the
		 * Docker documentation describes. */
		if (rest == 1) {
			bad_pattern(c, pattern, "trailing '\\'");
			return 0;
		}
		t->kind = TOKEN_LITERAL;
		return 1 + decode_rune(p + 1, rest - 1, &t->rune);
	default:
		t->kind = TOKEN_LITERAL;
		return decode_rune(p, rest, &t->rune);
	}
}

static int compile_pattern(const struct compiler *c, const char *text, struct pattern *out)
{
	size_t len = strlen(text), i = 0;

	/* There are never more tokens than bytes: a double star takes two
	 * bytes and makes two tokens. */
	out->tokens = calloc(len + 1, sizeof(*out->tokens));
	out->token_count = 0;
	if (!out->tokens)
		return guard_error_oom(c->err);

	while (i < len) {
		struct token *t = &out->tokens[out->token_count];
		size_t n = parse_token(c, text, i, len, t);

		if (n == 0) {
			free(t->ranges);
			pattern_release(out);
			return -1;
		}
		out->token_count++;
		if (t->kind == TOKEN_ANY_DIRS)
			out->tokens[out->token_count++].kind = TOKEN_DIRS_LOOP;
		i += n;
	}
	return 0;
}

static int add_pattern(struct guard_ignore *ig, const struct compiler *c, const char *text,
		       bool exception)
{
	struct pattern p = { exception, NULL, 0 };
	struct pattern *grown;

	if (compile_pattern(c, text, &p) < 0)
		return -1;
	grown = realloc(ig->patterns, (ig->count + 1) * sizeof(*grown));
	if (!grown) {
		pattern_release(&p);
		return guard_error_oom(c->err);
	}
	ig->patterns = grown;
	ig->patterns[ig->count++] = p;
	if (p.token_count > ig->max_tokens)
		ig->max_tokens = p.token_count;
	if (exception)
		ig->has_exceptions = true;
	return 0;
}

/* Handles one line as moby/patternmatcher's ignorefile.ReadAll does:
 * "#" in column 1 is a comment, the line is trimmed, "!" marks an
 * exception (blanks after it trimmed too), the rest is cleaned and loses
 * one leading "/". */
static int parse_line(struct guard_ignore *ig, const struct compiler *c, const char *line,
		      size_t len)
{
	bool exception = false;
	char *text;
	int rc;

	if (len > 0 && line[0] == '#')
		return 0;
	trim_space(&line, &len);
	if (len == 0)
		return 0;
	if (len > GUARD_IGNORE_MAX_PATTERN)
		return guard_error_set(c->err, GUARD_ERR_LIMIT,
				       "pattern in '%s' line %u is longer than %u bytes", c->name,
				       c->line, GUARD_IGNORE_MAX_PATTERN);
	if (line[0] == '!') {
		exception = true;
		line++;
		len--;
		trim_space(&line, &len);
		if (len == 0)
			return guard_error_set(c->err, GUARD_ERR_PARSE,
					       "invalid pattern in '%s' line %u: a bare '!' excludes nothing",
					       c->name, c->line);
	}

	text = clean_path(line, len);
	if (!text)
		return guard_error_oom(c->err);
	/* "." names the context root itself, which is never excluded. */
	if (strcmp(text, ".") == 0) {
		free(text);
		return 0;
	}
	rc = add_pattern(ig, c, text[0] == '/' && text[1] ? text + 1 : text, exception);
	free(text);
	return rc;
}

int guard_ignore_load_buffer(struct guard_ignore **out, const char *data, size_t len,
			     const char *name, struct guard_error *err)
{
	struct compiler c = { name ? name : ".dockerignore", 0, err };
	struct guard_ignore *ig = calloc(1, sizeof(*ig));
	size_t pos = 0;

	if (!ig)
		return guard_error_oom(err);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3;

	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - line) : len - pos;

		pos += line_len + (nl ? 1 : 0);
		c.line++;
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		if (parse_line(ig, &c, line, line_len) < 0) {
			guard_ignore_free(ig);
			return -1;
		}
	}
	*out = ig;
	return 0;
}

int guard_ignore_load_file(struct guard_ignore **out, const char *path, struct guard_error *err)
{
	char *data;
	size_t len;
	int rc;

	if (guard_read_file(path, GUARD_IGNORE_MAX_BYTES, &data, &len, err) < 0)
		return -1;
	rc = guard_ignore_load_buffer(out, data, len, path, err);
	free(data);
	return rc;
}

static int file_exists(const char *path, bool *exists, struct guard_error *err)
{
	struct stat st;

	*exists = false;
	if (stat(path, &st) == 0) {
		*exists = S_ISREG(st.st_mode);
		return 0;
	}
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return guard_error_set(err, GUARD_ERR_IO, "cannot check ignore file '%s': %s", path,
			       strerror(errno));
}

int guard_ignore_find(const char *context_dir, const char *dockerfile, char **out,
		      struct guard_error *err)
{
	struct guard_buf candidate = GUARD_BUF_INIT(SIZE_MAX / 2);
	bool exists;
	int rc;

	*out = NULL;
	if (dockerfile)
		rc = guard_buf_printf(&candidate, err, "%s.dockerignore", dockerfile);
	else
		rc = guard_buf_printf(&candidate, err, "%s/Dockerfile.dockerignore", context_dir);
	if (rc == 0)
		rc = file_exists(candidate.data, &exists, err);
	if (rc == 0 && !exists) {
		guard_buf_truncate(&candidate, 0);
		rc = guard_buf_printf(&candidate, err, "%s/.dockerignore", context_dir);
		if (rc == 0)
			rc = file_exists(candidate.data, &exists, err);
	}
	if (rc == 0 && exists) {
		*out = guard_buf_detach(&candidate, NULL);
		if (!*out)
			rc = guard_error_oom(err);
	}
	guard_buf_release(&candidate);
	return rc;
}

int guard_ignore_load_for_build(struct guard_ignore **out, const char *context_dir,
				const char *dockerfile, char **used, struct guard_error *err)
{
	char *path = NULL;
	int rc;

	if (used)
		*used = NULL;
	if (guard_ignore_find(context_dir, dockerfile, &path, err) < 0)
		return -1;
	if (path)
		rc = guard_ignore_load_file(out, path, err);
	else
		rc = guard_ignore_load_buffer(out, "", 0, NULL, err);
	if (rc == 0 && used)
		*used = path;
	else
		free(path);
	return rc;
}

static bool class_matches(const struct token *t, uint32_t r)
{
	size_t i;

	for (i = 0; i < t->range_count; i++)
		if (r >= t->ranges[i].lo && r <= t->ranges[i].hi)
			return !t->negated;
	return t->negated;
}

/* Adds the states reachable without input. Empty moves only go forward,
 * so one pass in order is enough. */
static void close_states(const struct pattern *p, unsigned char *states)
{
	size_t i;

	for (i = 0; i < p->token_count; i++) {
		enum token_kind k = p->tokens[i].kind;

		if (!states[i])
			continue;
		if (k == TOKEN_STAR || k == TOKEN_ANY_REST || k == TOKEN_ANY_DIRS)
			states[i + 1] = 1;
		if (k == TOKEN_ANY_DIRS)
			states[i + 2] = 1;	/* the double star matches nothing */
	}
}

/* Moves every state in from over the code point r into to; returns true
 * when some state is still alive. */
static bool step_states(const struct pattern *p, const unsigned char *from, unsigned char *to,
			uint32_t r)
{
	bool alive = false;
	size_t i;

	memset(to, 0, p->token_count + 1);
	for (i = 0; i < p->token_count; i++) {
		const struct token *t = &p->tokens[i];

		if (!from[i])
			continue;
		switch (t->kind) {
		case TOKEN_LITERAL:
			to[i + 1] |= t->rune == r;
			break;
		case TOKEN_ANY:
			to[i + 1] |= r != '/';
			break;
		case TOKEN_CLASS:
			to[i + 1] |= class_matches(t, r);
			break;
		case TOKEN_STAR:
			to[i] |= r != '/';
			break;
		case TOKEN_ANY_DIRS:
			break;
		case TOKEN_DIRS_LOOP:
			to[i] = 1;
			to[i + 1] |= r == '/';
			break;
		case TOKEN_ANY_REST:
			to[i] = 1;
			break;
		}
	}
	close_states(p, to);
	for (i = 0; i <= p->token_count; i++)
		alive |= to[i] != 0;
	return alive;
}

/* Runs the pattern over path. Sets *matched when it matches path or one of
 * its parent folders, and returns true when some state is still alive at
 * the end (for guard_ignore_must_descend). */
static bool run_pattern(const struct pattern *p, const char *path, unsigned char *a,
			unsigned char *b, bool *matched)
{
	size_t len = strlen(path), pos = 0;
	bool alive = true;

	*matched = false;
	memset(a, 0, p->token_count + 1);
	a[0] = 1;
	close_states(p, a);

	while (pos < len && alive) {
		uint32_t r;
		size_t n = decode_rune(path + pos, len - pos, &r);
		unsigned char *swap;

		if (r == '/' && a[p->token_count])
			*matched = true;	/* a parent folder matches */
		alive = step_states(p, a, b, r);
		swap = a, a = b, b = swap;
		pos += n;
	}
	if (alive && a[p->token_count])
		*matched = true;
	return alive;
}

static char *clean_relpath(const char *relpath)
{
	char *clean = clean_path(relpath, strlen(relpath));
	char *start;

	if (!clean)
		return NULL;
	start = clean;
	while (*start == '/')
		start++;
	if (start != clean)
		memmove(clean, start, strlen(start) + 1);
	return clean;
}

bool guard_ignore_match(const struct guard_ignore *ig, const char *relpath, bool is_dir)
{
	unsigned char *a, *b;
	bool excluded = false;
	char *path;
	size_t i;

	(void)is_dir;
	if (!ig || ig->count == 0 || !relpath)
		return false;
	path = clean_relpath(relpath);
	a = calloc(ig->max_tokens + 1, 1);
	b = calloc(ig->max_tokens + 1, 1);
	if (!path || !a || !b) {
		/* NOTE: out of memory reads as "not excluded", so the file is
		 * scanned rather than silently skipped. */
		free(path);
		free(a);
		free(b);
		return false;
	}

	if (strcmp(path, ".") != 0 && path[0] != '\0') {
		for (i = 0; i < ig->count; i++) {
			const struct pattern *p = &ig->patterns[i];
			bool matched;

			/* Only a pattern that would flip the current result
			 * needs to run: the last match decides. */
			if (p->exception != excluded)
				continue;
			run_pattern(p, path, a, b, &matched);
			if (matched)
				excluded = !p->exception;
		}
	}
	free(path);
	free(a);
	free(b);
	return excluded;
}

bool guard_ignore_must_descend(const struct guard_ignore *ig, const char *reldir)
{
	struct guard_buf prefix = GUARD_BUF_INIT(SIZE_MAX / 2);
	unsigned char *a = NULL, *b = NULL;
	bool descend = false;
	char *dir = NULL;
	size_t i;

	if (!ig || !ig->has_exceptions || !reldir)
		return false;
	dir = clean_relpath(reldir);
	a = calloc(ig->max_tokens + 1, 1);
	b = calloc(ig->max_tokens + 1, 1);
	if (!dir || !a || !b) {
		descend = true;	/* out of memory: look inside rather than miss files */
		goto done;
	}
	if (strcmp(dir, ".") == 0 || dir[0] == '\0') {
		descend = true;
		goto done;
	}
	if (guard_buf_printf(&prefix, NULL, "%s/", dir) < 0) {
		descend = true;
		goto done;
	}

	/* An exception can only re-include something below dir if its
	 * pattern can still match after reading "dir/". */
	for (i = 0; i < ig->count && !descend; i++) {
		const struct pattern *p = &ig->patterns[i];
		bool matched;

		if (p->exception && run_pattern(p, prefix.data, a, b, &matched))
			descend = true;
	}
done:
	guard_buf_release(&prefix);
	free(dir);
	free(a);
	free(b);
	return descend;
}

size_t guard_ignore_count(const struct guard_ignore *ig)
{
	return ig ? ig->count : 0;
}

bool guard_ignore_has_exceptions(const struct guard_ignore *ig)
{
	return ig && ig->has_exceptions;
}
