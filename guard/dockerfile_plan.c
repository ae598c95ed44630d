/* The pin plan: finds every image reference (FROM, COPY --from, RUN
 * --mount from=, their ONBUILD forms, # syntax=), expands it with the ARG
 * values BuildKit would use, and decides where its digest goes.
 *
 * Where the digest goes:
 * - a literal reference: right after it;
 * - a reference that is exactly one ARG whose default is the whole image
 *   (FROM $BASE): at the end of that default, once for every user, unless
 *   the ARG also feeds a different reference or a --platform flag;
 * - exactly one ${V:-w} whose w gave the image: at the end of w;
 * - anything else built from ARGs (python:${PY}, or an ARG given with
 *   --build-arg, even one equal to its default): after the reference on
 *   its line, with a warning. A build that passes the --build-arg ignores
 *   the default, so a digest there would not pin it. The digest after the
 *   reference pins the build that was described, and the warning states
 *   that a build with another value gets that image too, because a
 *   reference with a digest is pulled by its digest. */
#include "dockerfile_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ref.h"
#include "util.h"

/* The location of an ARG default value: the pin site for FROM $NAME. */
struct arg_site {
	char *name;
	size_t start, end;	/* the default without its quotes */
	bool is_env;
};

/* Facts about one image gathered before the decisions. */
struct work {
	struct df_expansion x;
	bool expanded;
	size_t line_end;	/* after the reference on its line, inside a closing quote */
	size_t ins_start, ins_end;
	const char *override;	/* first ARG the value of which came from --build-arg */
	bool override_hides_digest; /* and its default in the file has a digest */
};

struct plan {
	struct guard_dockerfile *df;
	const struct guard_dockerfile_options *opts;
	struct guard_error *err;
	struct df_env global;
	struct df_env stage;	/* the current stage */
	struct df_env *saved;	/* the scopes of the stages before it */
	size_t saved_count;
	struct arg_site *sites;
	size_t site_count;
	char **shared_names;	/* ARGs that feed more than one image, sorted */
	size_t shared_count;
	char **platform_users;	/* ARGs used by FROM --platform */
	size_t platform_user_count;
	struct work *work;	/* parallel to df->images */
};

static const char *build_arg(const struct plan *p, const char *name)
{
	size_t n = strlen(name);

	if (!p->opts)
		return NULL;
	for (size_t i = p->opts->build_arg_count; i-- > 0;) {
		const char *a = p->opts->build_args[i];

		if (strncmp(a, name, n) == 0 && a[n] == '=')
			return a + n + 1;
		if (strcmp(a, name) == 0)
			return getenv(name);
	}
	return NULL;
}

static int push_image(struct plan *p, enum guard_dockerfile_ref_kind kind, size_t instruction,
		      size_t start, size_t end, struct guard_dockerfile_image **out)
{
	struct guard_dockerfile *df = p->df;
	struct guard_dockerfile_image *grown = realloc(df->images, (df->image_count + 1) * sizeof(*grown));
	struct work *work;

	if (!grown)
		return guard_error_oom(p->err);
	df->images = grown;
	work = realloc(p->work, (df->image_count + 1) * sizeof(*work));
	if (!work)
		return guard_error_oom(p->err);
	p->work = work;
	memset(&work[df->image_count], 0, sizeof(*work));
	*out = &grown[df->image_count];
	memset(*out, 0, sizeof(**out));
	df->image_count++;
	(*out)->kind = kind;
	(*out)->instruction = instruction;
	(*out)->start = start;
	(*out)->end = end;
	(*out)->digest_start = (*out)->digest_end = SIZE_MAX;
	df_position(df, start, &(*out)->line, &(*out)->column);
	return 0;
}

static int set_text(char **slot, struct guard_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_text(char **slot, struct guard_error *err, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	free(*slot);
	*slot = guard_strdup(text, err);
	return *slot ? 0 : -1;
}

static int skip(struct plan *p, struct guard_dockerfile_image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int skip(struct plan *p, struct guard_dockerfile_image *img, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	img->action = GUARD_DOCKERFILE_SKIP;
	img->site = GUARD_DOCKERFILE_SITE_NONE;
	return set_text(&img->reason, p->err, "%s", text);
}

/* Expands t[from, to) of instruction ins into the work record of image
 * index i with env (NULL: no substitution). */
static int expand_into(struct plan *p, size_t i, size_t ins, size_t from, size_t to,
		       const struct df_env *env)
{
	const struct df_text *t = df_logical(p->df, ins);
	struct guard_dockerfile_image *img = &p->df->images[i];
	struct work *w = &p->work[i];
	struct guard_error sub = GUARD_ERROR_INIT;

	img->written = guard_strndup(t->s + from, to - from, p->err);
	if (!img->written)
		return -1;
	w->ins_start = p->df->instructions[ins].start;
	w->ins_end = p->df->instructions[ins].end;
	w->line_end = t->src[to - 1] + 1;
	if (to - from >= 2 && (t->s[to - 1] == '"' || t->s[to - 1] == '\'') &&
	    memchr(t->s + from, t->s[to - 1], to - from - 1))
		w->line_end--;
	if (df_expand(t, from, to - from, p->df->escape, env, &w->x, &sub) < 0)
		return skip(p, img, "%s", sub.message);
	w->expanded = true;
	for (size_t d = 0; d < w->x.dep_count && !w->override; d++) {
		const struct df_var *var = df_env_find(env, w->x.deps[d]);

		if (var && var->overridden) {
			w->override = w->x.deps[d];
			w->override_hides_digest =
				var->default_start != DF_NOSRC &&
				memchr(p->df->data + var->default_start, '@',
				       var->default_end - var->default_start) != NULL;
		}
	}
	img->expanded = guard_strdup(w->x.out.s, p->err);
	return img->expanded ? 0 : -1;
}

/* Returns the index of the last stage before `before` named name (in
 * any case), or SIZE_MAX. */
static size_t stage_index(const struct plan *p, const char *name, size_t before)
{
	size_t found = SIZE_MAX;

	for (size_t i = 0; i < p->df->stage_count && i < before; i++) {
		if (p->df->stages[i].name && strcasecmp(p->df->stages[i].name, name) == 0)
			found = i;
	}
	return found;
}

static bool is_stage_name(const struct plan *p, const char *name, size_t before)
{
	return stage_index(p, name, before) != SIZE_MAX;
}

/* Starts the scope of a new stage. A stage built on an earlier one gets
 * the ARG and ENV values declared there, as BuildKit passes them on. */
static int enter_stage(struct plan *p, size_t base)
{
	size_t n = p->df->stage_count;
	struct df_env *saved = realloc(p->saved, (n + 1) * sizeof(*saved));

	if (!saved)
		return guard_error_oom(p->err);
	p->saved = saved;
	memset(&saved[n], 0, sizeof(saved[n]));
	if (n > 0) {
		saved[n - 1] = p->stage;
		memset(&p->stage, 0, sizeof(p->stage));
	}
	p->saved_count = n;
	if (base == SIZE_MAX)
		return 0;
	for (size_t i = 0; i < saved[base].count; i++) {
		struct df_var var;

		if (df_var_copy(&var, &saved[base].vars[i], p->err) < 0 ||
		    df_env_put(&p->stage, &var, p->err) < 0)
			return -1;
	}
	return 0;
}

static int add_site(struct plan *p, const char *name, size_t start, size_t end, bool is_env)
{
	struct arg_site *grown = realloc(p->sites, (p->site_count + 1) * sizeof(*grown));

	if (!grown)
		return guard_error_oom(p->err);
	p->sites = grown;
	grown[p->site_count].name = guard_strdup(name, p->err);
	if (!grown[p->site_count].name)
		return -1;
	grown[p->site_count].start = start;
	grown[p->site_count].end = end;
	grown[p->site_count].is_env = is_env;
	p->site_count++;
	return 0;
}

/* Builds the variable for one ARG or ENV pair, expanding its value with
 * env; an ARG without a value inherits from inherit (the global scope). */
static int make_var(struct plan *p, size_t ins, const struct guard_dockerfile_pair *pair,
		    const struct df_env *env, const struct df_env *inherit, bool is_env,
		    struct df_var *var)
{
	const struct df_text *t = df_logical(p->df, ins);
	const struct df_var *parent = inherit ? df_env_find(inherit, pair->name) : NULL;
	const char *override = is_env ? NULL : build_arg(p, pair->name);

	memset(var, 0, sizeof(*var));
	if (!pair->value && parent) {
		if (df_var_copy(var, parent, p->err) < 0)
			return -1;
	} else {
		var->name = guard_strdup(pair->name, p->err);
		if (!var->name || df_text_set(&var->value, "", DF_NOSRC, p->err) < 0)
			return -1;
		var->default_start = var->default_end = DF_NOSRC;
		var->platform = !pair->value && df_is_platform_arg(pair->name);
	}
	var->is_env = is_env;
	if (pair->value) {
		size_t from = df_logical_index(t, pair->value_start);
		size_t to = df_logical_index(t, pair->value_end);
		struct df_expansion x;
		struct guard_error sub = GUARD_ERROR_INIT;
		size_t start = pair->value_start, end = pair->value_end;

		if (df_expand(t, from, to - from, p->df->escape, env, &x, &sub) == 0) {
			df_text_release(&var->value);
			var->value = x.out;
			memset(&x.out, 0, sizeof(x.out));
			var->deps = x.deps;
			var->dep_count = x.dep_count;
			x.deps = NULL;
			x.dep_count = 0;
			df_expansion_release(&x);
		}
		var->set = true;
		if (end - start >= 2 && (p->df->data[end - 1] == '"' || p->df->data[end - 1] == '\'') &&
		    p->df->data[start] == p->df->data[end - 1]) {
			start++;
			end--;
		}
		var->default_start = start;
		var->default_end = end;
		if (add_site(p, pair->name, start, end, is_env) < 0)
			return -1;
	}
	/* Even an override equal to the default is marked: a build that passes
	 * it ignores the default, so a digest there would not pin that build. */
	if (override) {
		if (df_text_set(&var->value, override, DF_NOSRC, p->err) < 0)
			return -1;
		var->set = true;
		var->platform = false;
		var->overridden = true;
	}
	return 0;
}

static int add_platform_builtins(struct plan *p)
{
	static const char *const names[] = {
		"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
		"TARGETOSVERSION", "BUILDPLATFORM", "BUILDOS", "BUILDARCH",
		"BUILDVARIANT", "BUILDOSVERSION", "TARGETSTAGE",
	};

	for (size_t i = 0; i < GUARD_ARRAY_SIZE(names); i++) {
		struct df_var var = { 0 };
		const char *override = build_arg(p, names[i]);

		var.name = guard_strdup(names[i], p->err);
		if (!var.name || df_text_set(&var.value, override ? override : "", DF_NOSRC, p->err) < 0) {
			df_var_release(&var);
			return -1;
		}
		var.platform = !override;
		var.set = override != NULL;
		var.overridden = override != NULL;
		var.default_start = var.default_end = DF_NOSRC;
		if (df_env_put(&p->global, &var, p->err) < 0)
			return -1;
	}
	return 0;
}

static int read_vars(struct plan *p, size_t ins, struct df_env *env, const struct df_env *inherit,
		     bool is_env)
{
	const struct guard_dockerfile_instruction *in = &p->df->instructions[ins];

	for (size_t i = 0; i < in->pair_count; i++) {
		struct df_var var;

		if (make_var(p, ins, &in->pairs[i], env, inherit, is_env, &var) < 0) {
			df_var_release(&var);
			return -1;
		}
		if (df_env_put(env, &var, p->err) < 0)
			return -1;
	}
	return 0;
}

static bool valid_stage_name(const char *name)
{
	if (!islower((unsigned char)name[0]))
		return false;
	for (const char *c = name; *c; c++) {
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && !strchr("-_.", *c))
			return false;
	}
	return true;
}

static int read_from(struct plan *p, size_t ins)
{
	const struct guard_dockerfile_instruction *in = &p->df->instructions[ins];
	const struct df_text *t = df_logical(p->df, ins);
	const struct guard_dockerfile_word *word = &in->args[0];
	struct guard_dockerfile_image *img;
	struct guard_dockerfile_stage *stages;
	size_t i = p->df->image_count;
	size_t base;
	char *name = NULL;

	for (size_t f = 0; f < in->flag_count; f++) {
		struct df_expansion x;
		struct guard_error sub = GUARD_ERROR_INIT;
		size_t from = df_logical_index(t, in->flags[f].start);
		size_t to = df_logical_index(t, in->flags[f].end);

		if (df_expand(t, from, to - from, p->df->escape, &p->global, &x, &sub) < 0)
			continue;
		for (size_t d = 0; d < x.dep_count; d++) {
			if (df_names_add(&p->platform_users, &p->platform_user_count, x.deps[d],
					 p->err) < 0) {
				df_expansion_release(&x);
				return -1;
			}
		}
		df_expansion_release(&x);
	}

	if (push_image(p, GUARD_DOCKERFILE_REF_FROM, ins, word->start, word->end, &img) < 0 ||
	    expand_into(p, i, ins, df_logical_index(t, word->start),
			df_logical_index(t, word->end), &p->global) < 0)
		return -1;

	if (in->arg_count == 3) {
		name = guard_strdup(in->args[2].value, p->err);
		if (!name)
			return -1;
		for (char *c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!valid_stage_name(name)) {
			guard_error_set(p->err, GUARD_ERR_PARSE,
					"%s:%u: invalid name for build stage: '%s', name can't start "
					"with a number or contain symbols",
					p->df->path, in->line, in->args[2].value);
			free(name);
			return -1;
		}
	}
	base = img->expanded ? stage_index(p, img->expanded, p->df->stage_count) : SIZE_MAX;
	if (base != SIZE_MAX && skip(p, img, "stage '%s' defined earlier", img->expanded) < 0)
		goto fail;
	if (enter_stage(p, base) < 0)
		goto fail;
	stages = realloc(p->df->stages, (p->df->stage_count + 1) * sizeof(*stages));
	if (!stages) {
		guard_error_oom(p->err);
		goto fail;
	}
	p->df->stages = stages;
	stages[p->df->stage_count].name = name;
	stages[p->df->stage_count].instruction = ins;
	p->df->stage_count++;
	return 0;
fail:
	free(name);
	return -1;
}

/* Finds the value of key= in a --flag word: [*from, *to) in the logical line. */
static bool flag_value(const struct df_text *t, const struct guard_dockerfile_word *flag,
		       const char *key, size_t *from, size_t *to)
{
	size_t n = strlen(key);
	size_t start = df_logical_index(t, flag->start);

	if (strncmp(flag->raw, key, n) != 0 || flag->raw[n] != '=')
		return false;
	*from = start + n + 1;
	*to = df_logical_index(t, flag->end);
	return true;
}

static int read_copy_from(struct plan *p, size_t ins)
{
	const struct guard_dockerfile_instruction *in = &p->df->instructions[ins];
	const struct df_text *t = df_logical(p->df, ins);
	enum guard_dockerfile_ref_kind kind = in->trigger[0] ? GUARD_DOCKERFILE_REF_ONBUILD_COPY_FROM
							     : GUARD_DOCKERFILE_REF_COPY_FROM;

	for (size_t f = 0; f < in->flag_count; f++) {
		struct guard_dockerfile_image *img;
		size_t from, to, i = p->df->image_count;
		const char *v;

		if (!flag_value(t, &in->flags[f], "--from", &from, &to))
			continue;
		if (to == from)
			return guard_error_set(p->err, GUARD_ERR_PARSE, "%s:%u: COPY --from needs a value",
					       p->df->path, in->line);
		if (push_image(p, kind, ins, t->src[from], t->src[to - 1] + 1, &img) < 0 ||
		    expand_into(p, i, ins, from, to, NULL) < 0)
			return -1;
		v = img->expanded;
		if (!v)
			continue;
		if (strchr(img->written, '$')) {
			if (skip(p, img, "%s", "variable expansion is not supported for --from") < 0)
				return -1;
		} else if (v[0] && strspn(v, "0123456789") == strlen(v)) {
			if (skip(p, img, "stage number %s", v) < 0)
				return -1;
		} else if (is_stage_name(p, v, SIZE_MAX)) {
			if (skip(p, img, "stage '%s'", v) < 0)
				return -1;
		}
	}
	return 0;
}

/* A field of a --mount value: [start, end) in the logical line, quotes
 * around the whole field removed. */
struct mount_field {
	size_t start, end;
};

#define MOUNT_FIELDS_MAX 64

/* Splits a --mount value into its CSV fields; returns how many. */
static size_t split_mount(const struct df_text *t, size_t from, size_t to,
			  struct mount_field *fields)
{
	size_t n = 0;

	if (to - from >= 2 && t->s[from] == '"' && t->s[to - 1] == '"') {
		from++;
		to--;
	}
	while (from < to && n < MOUNT_FIELDS_MAX) {
		size_t end = from;
		bool quoted = false;

		while (end < to && (quoted || t->s[end] != ',')) {
			if (t->s[end] == '"')
				quoted = !quoted;
			end++;
		}
		fields[n].start = from;
		fields[n].end = end;
		if (end - from >= 2 && t->s[from] == '"' && t->s[end - 1] == '"') {
			fields[n].start++;
			fields[n].end--;
		}
		n++;
		from = end + 1;
	}
	return n;
}

static bool field_key(const struct df_text *t, const struct mount_field *f, const char *key)
{
	size_t n = strlen(key);

	return f->end - f->start > n && strncasecmp(t->s + f->start, key, n) == 0 &&
	       t->s[f->start + n] == '=';
}

/* Only bind and cache mounts (bind is the default type) read from an
 * image; secret, ssh and tmpfs mounts have no from. */
static bool mount_reads_image(const struct df_text *t, const struct mount_field *fields,
			      size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const char *v = t->s + fields[k].start + 5;
		size_t len = fields[k].end - fields[k].start - 5;

		if (!field_key(t, &fields[k], "type"))
			continue;
		return (len == 4 && strncasecmp(v, "bind", 4) == 0) ||
		       (len == 5 && strncasecmp(v, "cache", 5) == 0);
	}
	return true;
}

/* Reads the from= option of each --mount flag: CSV fields, keys in any
 * case, values expanded with the stage's ARG and ENV values. */
static int read_mounts(struct plan *p, size_t ins)
{
	const struct guard_dockerfile_instruction *in = &p->df->instructions[ins];
	const struct df_text *t = df_logical(p->df, ins);
	enum guard_dockerfile_ref_kind kind = in->trigger[0] ? GUARD_DOCKERFILE_REF_ONBUILD_MOUNT_FROM
							     : GUARD_DOCKERFILE_REF_MOUNT_FROM;
	struct mount_field fields[MOUNT_FIELDS_MAX];

	for (size_t f = 0; f < in->flag_count; f++) {
		size_t from, to, n;

		if (!flag_value(t, &in->flags[f], "--mount", &from, &to))
			continue;
		n = split_mount(t, from, to, fields);
		if (!mount_reads_image(t, fields, n))
			continue;
		for (size_t k = 0; k < n; k++) {
			size_t start = fields[k].start + 5, end = fields[k].end;
			struct guard_dockerfile_image *img;
			size_t i = p->df->image_count;

			if (!field_key(t, &fields[k], "from") || end == start)
				continue;
			if (push_image(p, kind, ins, t->src[start], t->src[end - 1] + 1, &img) < 0 ||
			    expand_into(p, i, ins, start, end, &p->stage) < 0)
				return -1;
			if (img->expanded && is_stage_name(p, img->expanded, SIZE_MAX) &&
			    skip(p, img, "stage '%s'", img->expanded) < 0)
				return -1;
		}
	}
	return 0;
}

static int read_syntax(struct plan *p)
{
	struct guard_dockerfile *df = p->df;
	struct guard_dockerfile_image *img;

	if (!df->syntax_image)
		return 0;
	if (push_image(p, GUARD_DOCKERFILE_REF_SYNTAX, SIZE_MAX, df->syntax_start, df->syntax_end,
		       &img) < 0)
		return -1;
	img->written = guard_strdup(df->syntax_image, p->err);
	img->expanded = guard_strdup(df->syntax_image, p->err);
	if (!img->written || !img->expanded || df_text_set(&p->work[0].x.out, "", DF_NOSRC, p->err) < 0)
		return -1;
	for (size_t k = df->syntax_start; k < df->syntax_end; k++) {
		if (df_text_put(&p->work[0].x.out, df->data[k], k, p->err) < 0)
			return -1;
	}
	p->work[0].x.literals = df->syntax_end - df->syntax_start;
	p->work[0].expanded = true;
	p->work[0].line_end = df->syntax_end;
	if (build_arg(p, "BUILDKIT_SYNTAX"))
		return set_text(&img->warning, p->err, "%s",
				"--build-arg BUILDKIT_SYNTAX replaces this frontend image");
	return 0;
}

/* Pass one: walks the instructions with the ARG and ENV scopes. */
static int collect(struct plan *p)
{
	struct guard_dockerfile *df = p->df;

	if (add_platform_builtins(p) < 0 || read_syntax(p) < 0)
		return -1;
	for (size_t i = 0; i < df->instruction_count; i++) {
		const struct guard_dockerfile_instruction *in = &df->instructions[i];
		int rc = 0;

		if (strcmp(in->keyword, "FROM") == 0)
			rc = read_from(p, i);
		else if (strcmp(in->keyword, "ARG") == 0)
			rc = in->stage < 0 ? read_vars(p, i, &p->global, NULL, false)
					   : read_vars(p, i, &p->stage, &p->global, false);
		else if (strcmp(in->keyword, "ENV") == 0 && in->stage >= 0)
			rc = read_vars(p, i, &p->stage, NULL, true);
		else if (strcmp(in->keyword, "COPY") == 0 || strcmp(in->trigger, "COPY") == 0)
			rc = read_copy_from(p, i);
		else if (strcmp(in->keyword, "RUN") == 0 || strcmp(in->trigger, "RUN") == 0)
			rc = read_mounts(p, i);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* One (ARG, image) use, for finding ARGs that feed different images. */
struct feed {
	const char *name;
	const char *expanded;
};

static int feed_compare(const void *a, const void *b)
{
	const struct feed *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->expanded, y->expanded);
}

static int name_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Images that are or will be skipped get no digest, so their ARGs do not
 * count as feeding them. */
static bool gets_digest(const struct plan *p, size_t i)
{
	const struct guard_dockerfile_image *img = &p->df->images[i];
	const struct work *w = &p->work[i];

	return w->expanded && img->action != GUARD_DOCKERFILE_SKIP && !w->x.missing &&
	       !w->x.platform && !w->x.required && img->expanded[0] != '\0';
}

/* Fills p->shared_names (sorted) with every ARG that feeds two different
 * images. Sorting the uses keeps this O(n log n) for large files. */
static int find_shared(struct plan *p)
{
	struct feed *feeds;
	size_t n = 0, total = 0;

	for (size_t i = 0; i < p->df->image_count; i++)
		total += gets_digest(p, i) ? p->work[i].x.dep_count : 0;
	feeds = calloc(total + 1, sizeof(*feeds));
	if (!feeds)
		return guard_error_oom(p->err);
	for (size_t i = 0; i < p->df->image_count; i++) {
		for (size_t d = 0; gets_digest(p, i) && d < p->work[i].x.dep_count; d++)
			feeds[n++] = (struct feed){ p->work[i].x.deps[d], p->df->images[i].expanded };
	}
	qsort(feeds, n, sizeof(*feeds), feed_compare);
	for (size_t i = 1; i < n; i++) {
		bool same_name = strcmp(feeds[i].name, feeds[i - 1].name) == 0;
		size_t last = p->shared_count;

		if (!same_name || strcmp(feeds[i].expanded, feeds[i - 1].expanded) == 0)
			continue;
		if (last > 0 && strcmp(p->shared_names[last - 1], feeds[i].name) == 0)
			continue;
		if (df_names_add(&p->shared_names, &p->shared_count, feeds[i].name, p->err) < 0) {
			free(feeds);
			return -1;
		}
	}
	free(feeds);
	if (p->shared_count > 1)
		qsort(p->shared_names, p->shared_count, sizeof(*p->shared_names), name_compare);
	return 0;
}

/* True when ARG name feeds a --platform flag or more than one image: its
 * default then cannot carry a digest. */
static bool shared(const struct plan *p, const char *name)
{
	if (df_names_has(p->platform_users, p->platform_user_count, name))
		return true;
	return p->shared_count &&
	       bsearch(&name, p->shared_names, p->shared_count, sizeof(*p->shared_names),
		       name_compare) != NULL;
}

static const struct arg_site *owner_of(const struct plan *p, size_t offset)
{
	for (size_t i = p->site_count; i-- > 0;) {
		if (p->sites[i].end == offset + 1 && p->sites[i].start <= offset)
			return &p->sites[i];
	}
	return NULL;
}

/* Chooses where the digest of a reference built from ARGs goes. */
static int choose_site(struct plan *p, struct guard_dockerfile_image *img, struct work *w)
{
	const struct df_text *out = &w->x.out;
	size_t last = out->src[out->len - 1];
	bool single = w->x.expressions == 1 && w->x.literals == 0;
	const struct arg_site *owner = last == DF_NOSRC ? NULL : owner_of(p, last);
	const char *override = w->override;
	bool contiguous = last != DF_NOSRC;

	for (size_t k = 1; k < out->len && contiguous; k++)
		contiguous = out->src[k] == out->src[k - 1] + 1;

	if (single && contiguous && out->src[0] >= w->ins_start && last < w->ins_end) {
		img->site = GUARD_DOCKERFILE_SITE_EXPR_DEFAULT;
		img->insert_at = last + 1;
		return 0;
	}
	if (single && owner && !owner->is_env && !override && !shared(p, owner->name)) {
		img->site = GUARD_DOCKERFILE_SITE_ARG_DEFAULT;
		img->insert_at = last + 1;
		return 0;
	}
	/* A digest after the expression would follow the default's own
	 * digest in a build without the --build-arg. */
	if (override && w->override_hides_digest)
		return skip(p, img, "ARG '%s' has a digest in its default; pin the --build-arg value "
			    "where it is set", override);
	img->site = GUARD_DOCKERFILE_SITE_AFTER_EXPRESSION;
	img->insert_at = w->line_end;
	if (override)
		return set_text(&img->warning, p->err,
				"the digest was resolved with the --build-arg value of ARG '%s' and "
				"decides the image, so a build with another value of '%s' still gets "
				"this image", override, override);
	for (size_t d = 0; d < w->x.dep_count; d++) {
		if (shared(p, w->x.deps[d]))
			return set_text(&img->warning, p->err,
					"'%s' also feeds another reference, so the digest goes after "
					"the reference and changing its value needs a new pin",
					w->x.deps[d]);
	}
	return set_text(&img->warning, p->err,
			"the reference is built from '%s', so changing its value needs a new pin",
			w->x.dep_count ? w->x.deps[0] : "?");
}

/* A literal reference that no registry accepts fails the parse, as it
 * fails the build. One built from ARGs is skipped, because other values
 * may make it valid. */
static int reject_reference(struct plan *p, struct guard_dockerfile_image *img,
			    const struct guard_error *why)
{
	if (p->work[img - p->df->images].x.expressions > 0)
		return skip(p, img, "after ARG substitution: %s", why->message);
	return guard_error_set(p->err, GUARD_ERR_PARSE, "%s:%u: %s", p->df->path, img->line,
			       why->message);
}

static int decide_pinned(struct plan *p, struct guard_dockerfile_image *img, struct work *w)
{
	const struct df_text *out = &w->x.out;
	const char *at = strrchr(out->s, '@');
	size_t k = (size_t)(at - out->s);

	img->action = GUARD_DOCKERFILE_PINNED;
	for (size_t j = k; j < out->len; j++) {
		if (out->src[j] == DF_NOSRC || (j > k && out->src[j] != out->src[j - 1] + 1))
			return set_text(&img->warning, p->err, "%s",
					"the digest does not come from the file, so it cannot be updated");
	}
	img->digest_start = out->src[k];
	img->digest_end = out->src[out->len - 1] + 1;
	return 0;
}

static int decide(struct plan *p, size_t i)
{
	struct guard_dockerfile_image *img = &p->df->images[i];
	struct work *w = &p->work[i];
	struct guard_error why = GUARD_ERROR_INIT;
	struct guard_ref ref = { 0 };
	bool has_tag = false, has_digest = false;

	if (img->action == GUARD_DOCKERFILE_SKIP)
		return 0;
	if (w->x.platform)
		return skip(p, img, "depends on platform ARG '%s', known only at build time",
			    w->x.platform);
	if (w->x.required)
		return skip(p, img, "ARG '%s' has no value and the reference requires one",
			    w->x.required);
	if (w->x.missing && w->x.missing_declared)
		return skip(p, img, "depends on ARG '%s', which has no value", w->x.missing);
	if (w->x.missing && img->kind == GUARD_DOCKERFILE_REF_FROM)
		return skip(p, img, "depends on '%s', which is not an ARG declared before the first FROM",
			    w->x.missing);
	if (w->x.missing)
		return skip(p, img, "depends on '%s', which is not an ARG or ENV of this stage",
			    w->x.missing);
	if (img->expanded[0] == '\0')
		return skip(p, img, "%s", "empty after ARG substitution");
	if (img->kind == GUARD_DOCKERFILE_REF_FROM && strcmp(img->expanded, "scratch") == 0)
		return skip(p, img, "%s", "scratch is the empty image");

	if (guard_ref_parse(&ref, img->expanded, &why) < 0)
		return reject_reference(p, img, &why);
	has_tag = ref.tag != NULL;
	has_digest = ref.digest != NULL;
	guard_ref_release(&ref);
	img->add_latest = !has_tag && !has_digest;
	if (has_digest)
		return decide_pinned(p, img, w);

	img->action = GUARD_DOCKERFILE_PIN;
	if (w->x.expressions == 0) {
		img->site = GUARD_DOCKERFILE_SITE_LITERAL;
		img->insert_at = w->x.out.src[w->x.out.len - 1] + 1;
	} else if (choose_site(p, img, w) < 0) {
		return -1;
	}
	df_position(p->df, img->insert_at, &img->insert_line, &(unsigned){ 0 });
	return 0;
}

static int site_compare(const void *a, const void *b)
{
	const struct guard_dockerfile_image *x = *(const struct guard_dockerfile_image *const *)a;
	const struct guard_dockerfile_image *y = *(const struct guard_dockerfile_image *const *)b;

	if (x->insert_at != y->insert_at)
		return x->insert_at < y->insert_at ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Marks the second and later users of one insertion site. */
static int dedupe(struct plan *p)
{
	struct guard_dockerfile *df = p->df;
	struct guard_dockerfile_image **pins = calloc(df->image_count + 1, sizeof(*pins));
	size_t n = 0;

	if (!pins)
		return guard_error_oom(p->err);
	for (size_t i = 0; i < df->image_count; i++) {
		if (df->images[i].action == GUARD_DOCKERFILE_PIN)
			pins[n++] = &df->images[i];
	}
	qsort(pins, n, sizeof(*pins), site_compare);
	for (size_t i = 1; i < n; i++) {
		struct guard_dockerfile_image *img = pins[i];
		const struct guard_dockerfile_image *first = pins[i - 1];

		if (first->insert_at != img->insert_at)
			continue;
		if (strcmp(first->expanded, img->expanded) != 0 || first->add_latest != img->add_latest) {
			free(pins);
			return guard_error_set(p->err, GUARD_ERR_INTERNAL,
					       "%s:%u: two references plan different digests at byte %zu",
					       df->path, img->line, img->insert_at);
		}
		img->duplicate = true;
	}
	free(pins);
	return 0;
}

int df_plan(struct guard_dockerfile *df, const struct guard_dockerfile_options *opts,
	    struct guard_error *err)
{
	struct plan p = { .df = df, .opts = opts, .err = err };
	int rc = -1;

	if (collect(&p) < 0 || find_shared(&p) < 0)
		goto done;
	for (size_t i = 0; i < df->image_count; i++) {
		if (decide(&p, i) < 0)
			goto done;
	}
	rc = dedupe(&p);
done:
	df_env_release(&p.global);
	df_env_release(&p.stage);
	for (size_t i = 0; i < p.saved_count; i++)
		df_env_release(&p.saved[i]);
	free(p.saved);
	for (size_t i = 0; i < p.site_count; i++)
		free(p.sites[i].name);
	free(p.sites);
	df_names_free(p.platform_users, p.platform_user_count);
	df_names_free(p.shared_names, p.shared_count);
	for (size_t i = 0; i < df->image_count; i++)
		df_expansion_release(&p.work[i].x);
	free(p.work);
	return rc;
}
