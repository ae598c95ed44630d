/* Shell-word expansion as BuildKit's lexer (frontend/dockerfile/shell)
 * does it for FROM, flags and ARG defaults, keeping for every output byte
 * the input offset it came from. */
#include "dockerfile_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int df_text_put(struct df_text *t, char c, size_t src, struct guard_error *err)
{
	if (t->len + 1 >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char *s;
		size_t *map;

		if (cap > GUARD_DOCKERFILE_MAX_SIZE * 2)
			return guard_error_set(err, GUARD_ERR_LIMIT,
					       "expanded text exceeds %zu bytes",
					       GUARD_DOCKERFILE_MAX_SIZE * 2);
		s = realloc(t->s, cap);
		if (!s)
			return guard_error_oom(err);
		t->s = s;
		map = realloc(t->src, cap * sizeof(*map));
		if (!map)
			return guard_error_oom(err);
		t->src = map;
		t->cap = cap;
	}
	t->s[t->len] = c;
	t->src[t->len] = src;
	t->len++;
	t->s[t->len] = '\0';
	return 0;
}

int df_text_append(struct df_text *t, const struct df_text *from, size_t start,
		   size_t len, struct guard_error *err)
{
	for (size_t i = 0; i < len; i++) {
		if (df_text_put(t, from->s[start + i], from->src[start + i], err) < 0)
			return -1;
	}
	return 0;
}

/* Makes t an empty allocated string, so t->s is never NULL. */
static int text_clear(struct df_text *t, struct guard_error *err)
{
	if (!t->s && df_text_put(t, 'x', DF_NOSRC, err) < 0)
		return -1;
	t->len = 0;
	t->s[0] = '\0';
	return 0;
}

int df_text_set(struct df_text *t, const char *s, size_t src, struct guard_error *err)
{
	if (text_clear(t, err) < 0)
		return -1;
	for (; *s; s++) {
		if (df_text_put(t, *s, src, err) < 0)
			return -1;
	}
	return 0;
}

void df_text_release(struct df_text *t)
{
	free(t->s);
	free(t->src);
	memset(t, 0, sizeof(*t));
}

int df_names_add(char ***names, size_t *count, const char *name, struct guard_error *err)
{
	char **grown;

	if (df_names_has(*names, *count, name))
		return 0;
	grown = realloc(*names, (*count + 1) * sizeof(*grown));
	if (!grown)
		return guard_error_oom(err);
	*names = grown;
	grown[*count] = guard_strdup(name, err);
	if (!grown[*count])
		return -1;
	(*count)++;
	return 0;
}

bool df_names_has(char **names, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

void df_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* BuildKit fills these in from the build and target platforms. */
bool df_is_platform_arg(const char *name)
{
	static const char *const names[] = {
		"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
		"TARGETOSVERSION", "BUILDPLATFORM", "BUILDOS", "BUILDARCH",
		"BUILDVARIANT", "BUILDOSVERSION", "TARGETSTAGE",
	};

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(names); i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

void df_var_release(struct df_var *var)
{
	free(var->name);
	df_text_release(&var->value);
	df_names_free(var->deps, var->dep_count);
	memset(var, 0, sizeof(*var));
}

int df_var_copy(struct df_var *dst, const struct df_var *src, struct guard_error *err)
{
	memset(dst, 0, sizeof(*dst));
	dst->name = guard_strdup(src->name, err);
	if (!dst->name)
		return -1;
	dst->set = src->set;
	dst->platform = src->platform;
	dst->is_env = src->is_env;
	dst->overridden = src->overridden;
	dst->default_start = src->default_start;
	dst->default_end = src->default_end;
	if (text_clear(&dst->value, err) < 0)
		goto fail;
	if (df_text_append(&dst->value, &src->value, 0, src->value.len, err) < 0)
		goto fail;
	for (size_t i = 0; i < src->dep_count; i++) {
		if (df_names_add(&dst->deps, &dst->dep_count, src->deps[i], err) < 0)
			goto fail;
	}
	return 0;
fail:
	df_var_release(dst);
	return -1;
}

void df_env_release(struct df_env *env)
{
	for (size_t i = 0; i < env->count; i++)
		df_var_release(&env->vars[i]);
	free(env->vars);
	env->vars = NULL;
	env->count = 0;
}

struct df_var *df_env_find(const struct df_env *env, const char *name)
{
	if (!env)
		return NULL;
	for (size_t i = 0; i < env->count; i++) {
		if (strcmp(env->vars[i].name, name) == 0)
			return &env->vars[i];
	}
	return NULL;
}

int df_env_put(struct df_env *env, struct df_var *var, struct guard_error *err)
{
	struct df_var *old = df_env_find(env, var->name);
	struct df_var *grown;

	if (old) {
		df_var_release(old);
		*old = *var;
		memset(var, 0, sizeof(*var));
		return 0;
	}
	grown = realloc(env->vars, (env->count + 1) * sizeof(*grown));
	if (!grown) {
		df_var_release(var);
		return guard_error_oom(err);
	}
	env->vars = grown;
	grown[env->count++] = *var;
	memset(var, 0, sizeof(*var));
	return 0;
}

void df_expansion_release(struct df_expansion *x)
{
	df_text_release(&x->out);
	df_names_free(x->deps, x->dep_count);
	free(x->missing);
	free(x->platform);
	free(x->required);
	memset(x, 0, sizeof(*x));
}

/* Matches with one backtracking point (the last '*'), which keeps the
 * work at O(pattern * text) whatever the pattern. */
bool df_glob_match(const char *pattern, const char *text, size_t text_len, char escape)
{
	const char *p = pattern;
	const char *star = NULL;
	size_t t = 0, star_t = 0;

	while (t < text_len) {
		if (*p == '*') {
			star = ++p;
			star_t = t;
			continue;
		}
		if (*p && (*p == '?' || (*p == escape && p[1] ? p[1] : *p) == text[t])) {
			p += (*p == escape && p[1]) ? 2 : 1;
			t++;
			continue;
		}
		if (!star)
			return false;
		p = star;
		t = ++star_t;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Values longer than this are not matched against patterns, which keeps
 * ${V#p} and ${V/p/r} at a bounded cost. */
#define PATTERN_VALUE_MAX 4096

/* The lexer state for one word. */
struct lexer {
	const struct df_text *in;
	size_t pos, end;
	char escape;
	const struct df_env *env;
	struct guard_error *err;
};

static int set_name(char **slot, const char *name, struct guard_error *err)
{
	if (*slot)
		return 0;
	*slot = guard_strdup(name, err);
	return *slot ? 0 : -1;
}

/* Moves the findings of a nested word into x. */
static int merge(struct df_expansion *x, struct df_expansion *sub, bool used,
		 struct guard_error *err)
{
	for (size_t i = 0; i < sub->dep_count; i++) {
		if (df_names_add(&x->deps, &x->dep_count, sub->deps[i], err) < 0)
			return -1;
	}
	if (sub->platform && set_name(&x->platform, sub->platform, err) < 0)
		return -1;
	if (!used)
		return 0;
	if (df_text_append(&x->out, &sub->out, 0, sub->out.len, err) < 0)
		return -1;
	if (sub->missing && !x->missing) {
		x->missing_declared = sub->missing_declared;
		if (set_name(&x->missing, sub->missing, err) < 0)
			return -1;
	}
	if (sub->required && set_name(&x->required, sub->required, err) < 0)
		return -1;
	return 0;
}

static int lex_word(struct lexer *lx, struct df_expansion *x, const char *stops,
		    bool top, bool raw_escapes);

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int bad_substitution(struct lexer *lx)
{
	return guard_error_set(lx->err, GUARD_ERR_PARSE, "bad substitution in '%.*s'",
			       (int)(lx->end - lx->pos), lx->in->s + lx->pos);
}

/* Records that name was looked up; returns the variable or NULL. */
static const struct df_var *lookup(struct lexer *lx, struct df_expansion *x,
				   const char *name, int *rc)
{
	const struct df_var *var = df_env_find(lx->env, name);

	*rc = df_names_add(&x->deps, &x->dep_count, name, lx->err);
	if (*rc == 0 && var) {
		for (size_t i = 0; i < var->dep_count && *rc == 0; i++)
			*rc = df_names_add(&x->deps, &x->dep_count, var->deps[i], lx->err);
	}
	if (*rc == 0 && var && var->platform)
		*rc = set_name(&x->platform, name, lx->err);
	return var;
}

/* Appends the value of var, noting a variable without one. */
static int use_value(struct lexer *lx, struct df_expansion *x, const struct df_var *var,
		     const char *name)
{
	if (!var || (!var->set && !var->platform)) {
		if (!x->missing)
			x->missing_declared = var != NULL;
		return set_name(&x->missing, name, lx->err);
	}
	return df_text_append(&x->out, &var->value, 0, var->value.len, lx->err);
}

static int apply_trim(struct lexer *lx, struct df_expansion *x, const struct df_var *var,
		      const char *name, char op, bool longest, const char *pattern)
{
	const struct df_text *v;
	size_t n;

	if (!var || !var->set)
		return use_value(lx, x, var, name);
	if (var->value.len > PATTERN_VALUE_MAX)
		return guard_error_set(lx->err, GUARD_ERR_LIMIT,
				       "ARG '%s' is longer than %d bytes, the limit for pattern substitution",
				       name, PATTERN_VALUE_MAX);
	v = &var->value;
	n = v->len;
	for (size_t step = 0; step <= n; step++) {
		size_t k = longest ? n - step : step;
		bool hit = op == '#' ? df_glob_match(pattern, v->s, k, lx->escape)
				     : df_glob_match(pattern, v->s + n - k, k, lx->escape);

		if (hit) {
			size_t from = op == '#' ? k : 0;

			return df_text_append(&x->out, v, from, n - k, lx->err);
		}
	}
	return df_text_append(&x->out, v, 0, n, lx->err);
}

static int apply_replace(struct lexer *lx, struct df_expansion *x, const struct df_var *var,
			 const char *name, bool all, const char *pattern,
			 const struct df_text *with)
{
	const struct df_text *v;
	size_t i = 0;
	bool done = false;

	if (!var || !var->set)
		return use_value(lx, x, var, name);
	if (var->value.len > PATTERN_VALUE_MAX)
		return guard_error_set(lx->err, GUARD_ERR_LIMIT,
				       "ARG '%s' is longer than %d bytes, the limit for pattern substitution",
				       name, PATTERN_VALUE_MAX);
	v = &var->value;
	while (i < v->len) {
		size_t k = 0;
		bool hit = false;

		if (!done) {
			for (k = v->len - i; k > 0; k--) {
				if (df_glob_match(pattern, v->s + i, k, lx->escape)) {
					hit = true;
					break;
				}
			}
		}
		if (hit) {
			if (df_text_append(&x->out, with, 0, with->len, lx->err) < 0)
				return -1;
			i += k;
			done = !all;
			continue;
		}
		if (df_text_put(&x->out, v->s[i], v->src[i], lx->err) < 0)
			return -1;
		i++;
	}
	return 0;
}

/* Reads a nested word up to one of stops; the stop byte is left in place. */
static int lex_nested(struct lexer *lx, struct df_expansion *sub, const char *stops,
		      bool raw_escapes)
{
	memset(sub, 0, sizeof(*sub));
	if (text_clear(&sub->out, lx->err) < 0)
		return -1;
	if (lex_word(lx, sub, stops, false, raw_escapes) < 0)
		return -1;
	if (lx->pos >= lx->end)
		return guard_error_set(lx->err, GUARD_ERR_PARSE, "missing '}' in substitution");
	return 0;
}

static int lex_modifier(struct lexer *lx, struct df_expansion *x, const char *name,
			const struct df_var *var)
{
	char op = lx->in->s[lx->pos++];
	bool colon = false;
	bool has_value;
	struct df_expansion word = { 0 };
	int rc;

	if (op == ':') {
		if (lx->pos >= lx->end || !strchr("-+?", lx->in->s[lx->pos]))
			return bad_substitution(lx);
		colon = true;
		op = lx->in->s[lx->pos++];
	}
	if (lex_nested(lx, &word, "}", false) < 0)
		goto fail;
	lx->pos++;
	has_value = var && var->set && (!colon || var->value.len > 0);
	if (var && var->platform) {
		rc = merge(x, &word, false, lx->err);
	} else if (op == '-') {
		rc = has_value ? use_value(lx, x, var, name) : 0;
		if (rc == 0)
			rc = merge(x, &word, !has_value, lx->err);
	} else if (op == '+') {
		rc = merge(x, &word, has_value, lx->err);
	} else {
		rc = has_value ? use_value(lx, x, var, name) : set_name(&x->required, name, lx->err);
		if (rc == 0)
			rc = merge(x, &word, false, lx->err);
	}
	df_expansion_release(&word);
	return rc;
fail:
	df_expansion_release(&word);
	return -1;
}

static int lex_pattern(struct lexer *lx, struct df_expansion *x, const char *name,
		       const struct df_var *var)
{
	char op = lx->in->s[lx->pos++];
	bool twice = lx->pos < lx->end && lx->in->s[lx->pos] == op;
	struct df_expansion pattern = { 0 }, with = { 0 };
	int rc = -1;

	if (twice)
		lx->pos++;
	if (lex_nested(lx, &pattern, op == '/' ? "/}" : "}", true) < 0)
		goto done;
	if (op == '/' && lx->in->s[lx->pos] == '/') {
		lx->pos++;
		if (lex_nested(lx, &with, "}", false) < 0)
			goto done;
	}
	lx->pos++;
	if (merge(x, &pattern, false, lx->err) < 0 || merge(x, &with, false, lx->err) < 0)
		goto done;
	if (op == '/')
		rc = apply_replace(lx, x, var, name, twice, pattern.out.s ? pattern.out.s : "",
				   &with.out);
	else
		rc = apply_trim(lx, x, var, name, op, twice, pattern.out.s ? pattern.out.s : "");
done:
	df_expansion_release(&pattern);
	df_expansion_release(&with);
	return rc;
}

static int lex_braces(struct lexer *lx, struct df_expansion *x)
{
	size_t name_start = ++lx->pos;
	char name[256];
	const struct df_var *var;
	size_t n;
	int rc;

	while (lx->pos < lx->end && is_name_char(lx->in->s[lx->pos]))
		lx->pos++;
	n = lx->pos - name_start;
	if (n == 0 || n >= sizeof(name) || lx->pos >= lx->end)
		return bad_substitution(lx);
	memcpy(name, lx->in->s + name_start, n);
	name[n] = '\0';
	var = lookup(lx, x, name, &rc);
	if (rc < 0)
		return -1;

	switch (lx->in->s[lx->pos]) {
	case '}':
		lx->pos++;
		return use_value(lx, x, var, name);
	case ':':
	case '-':
	case '+':
	case '?':
		return lex_modifier(lx, x, name, var);
	case '#':
	case '%':
	case '/':
		return lex_pattern(lx, x, name, var);
	default:
		return bad_substitution(lx);
	}
}

/* Handles '$' at lx->pos: an expression, or a literal dollar sign. */
static int lex_dollar(struct lexer *lx, struct df_expansion *x, bool top)
{
	size_t dollar = lx->pos;
	char name[256];
	size_t n = 0;
	const struct df_var *var;
	int rc;

	lx->pos++;
	if (!lx->env || lx->pos >= lx->end ||
	    (lx->in->s[lx->pos] != '{' && !is_name_char(lx->in->s[lx->pos]))) {
		if (top)
			x->literals++;
		return df_text_put(&x->out, '$', lx->in->src[dollar], lx->err);
	}
	if (top)
		x->expressions++;
	if (lx->in->s[lx->pos] == '{')
		return lex_braces(lx, x);

	while (lx->pos < lx->end && is_name_char(lx->in->s[lx->pos]) && n + 1 < sizeof(name))
		name[n++] = lx->in->s[lx->pos++];
	name[n] = '\0';
	var = lookup(lx, x, name, &rc);
	if (rc < 0)
		return -1;
	return use_value(lx, x, var, name);
}

static int lex_single_quote(struct lexer *lx, struct df_expansion *x, bool top)
{
	lx->pos++;
	while (lx->pos < lx->end && lx->in->s[lx->pos] != '\'') {
		if (top)
			x->literals++;
		if (df_text_put(&x->out, lx->in->s[lx->pos], lx->in->src[lx->pos], lx->err) < 0)
			return -1;
		lx->pos++;
	}
	if (lx->pos >= lx->end)
		return guard_error_set(lx->err, GUARD_ERR_PARSE, "missing closing single quote");
	lx->pos++;
	return 0;
}

static int lex_double_quote(struct lexer *lx, struct df_expansion *x, bool top)
{
	lx->pos++;
	while (lx->pos < lx->end && lx->in->s[lx->pos] != '"') {
		char c = lx->in->s[lx->pos];

		if (c == '$') {
			if (lex_dollar(lx, x, top) < 0)
				return -1;
			continue;
		}
		if (c == lx->escape && lx->pos + 1 < lx->end &&
		    strchr("\"$", lx->in->s[lx->pos + 1]) != NULL)
			lx->pos++;
		else if (c == lx->escape && lx->pos + 1 < lx->end && lx->in->s[lx->pos + 1] == c)
			lx->pos++;
		if (top)
			x->literals++;
		if (df_text_put(&x->out, lx->in->s[lx->pos], lx->in->src[lx->pos], lx->err) < 0)
			return -1;
		lx->pos++;
	}
	if (lx->pos >= lx->end)
		return guard_error_set(lx->err, GUARD_ERR_PARSE, "missing closing double quote");
	lx->pos++;
	return 0;
}

static int lex_word(struct lexer *lx, struct df_expansion *x, const char *stops,
		    bool top, bool raw_escapes)
{
	while (lx->pos < lx->end) {
		char c = lx->in->s[lx->pos];
		int rc;

		if (stops && strchr(stops, c))
			return 0;
		if (c == '\'') {
			rc = lex_single_quote(lx, x, top);
		} else if (c == '"') {
			rc = lex_double_quote(lx, x, top);
		} else if (c == '$') {
			rc = lex_dollar(lx, x, top);
		} else {
			if (c == lx->escape && lx->pos + 1 < lx->end) {
				if (raw_escapes && df_text_put(&x->out, c, lx->in->src[lx->pos],
							       lx->err) < 0)
					return -1;
				lx->pos++;
			}
			if (top)
				x->literals++;
			rc = df_text_put(&x->out, lx->in->s[lx->pos], lx->in->src[lx->pos], lx->err);
			lx->pos++;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int df_expand(const struct df_text *in, size_t start, size_t len, char escape,
	      const struct df_env *env, struct df_expansion *out,
	      struct guard_error *err)
{
	struct lexer lx = { in, start, start + len, escape, env, err };

	memset(out, 0, sizeof(*out));
	if (text_clear(&out->out, err) < 0)
		return -1;
	if (lex_word(&lx, out, NULL, true, false) < 0) {
		df_expansion_release(out);
		return -1;
	}
	return 0;
}
